// The fuzz machinery's own test, not a product decoder: a length-prefixed
// record decoder with two planted bugs, built by mint_add_fuzzer exactly as
// the product targets are. Its seeds each hit one bug; the ctest
// (expect_crash.cmake) passes only when libFuzzer reports both:
//  - corpus/overflow: "L" then a length past the record: the decoder reads
//    beyond its heap copy (AddressSanitizer must see it);
//  - corpus/contract: "C" then a length: the decoder returns one byte too
//    many, which the harness's Check() (the contract check every product
//    harness uses) must turn into a crash.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "check.h"

namespace {

// Returns the payload of [tag][u8 length][payload] (the bugs are here).
std::vector<uint8_t> Decode(const std::vector<uint8_t>& record) {
  if (record.size() < 2) return {};
  size_t length = record[1];
  if (record[0] == 'L') return {record.begin() + 2, record.begin() + 2 + length};  // unchecked
  if (record[0] == 'C' && length + 2 <= record.size() && length > 0)
    return {record.begin() + 1, record.begin() + 2 + length};  // off by one
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> record(data, data + size);  // on the heap, for ASan
  std::vector<uint8_t> payload = Decode(record);
  if (size >= 2) mint::fuzz::Check(payload.size() <= record[1]);
  return 0;
}
