// libFuzzer target for the channel's frame decoders (mint/channel/frame.h):
// the input is one record as MINT_NODE_CHAN hands it to node0 (or the agent
// reads it). Contracts checked beyond "no crash": a record DecodeFrame
// accepts is 16..4096 bytes, a known type and re-encodes to the same bytes;
// each payload decoder that accepts re-encodes to its payload (argv, exit)
// or to a prefix-equal payload (error), and keeps its own limits.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "check.h"
#include "mint/channel/frame.h"

using mint::fuzz::Check;
namespace channel = mint::channel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> record(data, size);
  auto frame = channel::DecodeFrame(record);
  if (frame.ok()) {
    Check(size >= sizeof(channel::FrameHeader) && size <= channel::kMaxRecord);
    Check(channel::FrameTypeName(frame->type) != "UNKNOWN");
    Check(frame->payload.size() == size - sizeof(channel::FrameHeader));
    auto again = channel::EncodeFrame(frame->type, frame->session, frame->payload);
    Check(again.size() == size && std::memcmp(again.data(), data, size) == 0);
  } else {
    Check(!frame.error().message.empty());
  }
  // Every payload decoder on the record's payload (or the whole input when
  // it is no frame): what a peer may put after a valid header.
  std::span<const uint8_t> payload = frame.ok() ? std::span<const uint8_t>(frame->payload) : record;

  auto argv = channel::DecodeArgv(payload);
  if (argv.ok()) {
    Check(!argv->empty() && !(*argv)[0].empty());
    if (payload.size() <= channel::kMaxPayload) {
      auto encoded = channel::EncodeArgv(*argv, "fuzz");
      Check(encoded.ok());
      Check(encoded->size() == payload.size() &&
            std::memcmp(encoded->data(), payload.data(), payload.size()) == 0);
    }
  }
  auto exit = channel::DecodeExit(payload);
  if (exit.ok()) {
    Check(exit->code >= 0 && exit->code <= 255 && exit->signal >= 0 && exit->signal <= 127);
    int shell = exit->ShellStatus();
    Check(shell >= 0 && shell <= 255);
    auto encoded = channel::EncodeExit(*exit);
    Check(encoded.size() == payload.size() &&
          std::memcmp(encoded.data(), payload.data(), payload.size()) == 0);
  }
  auto error = channel::DecodeError(payload);
  if (error.ok()) {
    Check(error->message.size() == payload.size() - 4);
    auto encoded = channel::EncodeError(*error);
    Check(encoded.size() <= channel::kMaxPayload);
    size_t n = std::min(encoded.size(), payload.size());
    Check(std::memcmp(encoded.data(), payload.data(), n) == 0);
  }
  return 0;
}
