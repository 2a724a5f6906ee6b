# The loader compiles against the kernel's own uapi header, taken from the
# patch series at configure time, so the two can never drift apart.
# git apply --include applies only the hunks for that file, in series order,
# into an empty directory; the first patch that touches it must create it.
set(MINT_PATCH_DIR ${CMAKE_SOURCE_DIR}/kernel-patches)
set(MINT_UAPI_DIR ${CMAKE_BINARY_DIR}/uapi)
file(STRINGS ${MINT_PATCH_DIR}/series mint_series REGEX "^[^#]")
set(mint_patches "")
foreach(p IN LISTS mint_series)
  list(APPEND mint_patches ${MINT_PATCH_DIR}/${p})
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${MINT_PATCH_DIR}/series ${mint_patches})
file(REMOVE_RECURSE ${MINT_UAPI_DIR})
file(MAKE_DIRECTORY ${MINT_UAPI_DIR})
find_program(GIT git REQUIRED)
execute_process(
  # Outside any repository, so the paths are taken relative to this directory.
  COMMAND ${CMAKE_COMMAND} -E env GIT_CEILING_DIRECTORIES=${CMAKE_BINARY_DIR}
          ${GIT} apply --include=include/uapi/linux/mint.h ${mint_patches}
  WORKING_DIRECTORY ${MINT_UAPI_DIR}
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT EXISTS ${MINT_UAPI_DIR}/include/uapi/linux/mint.h)
  message(FATAL_ERROR "cannot extract include/uapi/linux/mint.h from kernel-patches/series: ${err}")
endif()
add_library(mint_uapi INTERFACE)
target_include_directories(mint_uapi SYSTEM INTERFACE ${MINT_UAPI_DIR}/include/uapi)
