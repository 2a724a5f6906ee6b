// What the kernel wrote back into an ioctl argument of /dev/mint, read as
// untrusted: counts are clamped to the arrays' sizes in <linux/mint.h>
// (MINT_MAX_CPUS, MINT_MAX_RANGES) and to the buffers mintctl passed, so a
// kernel that answers wrongly cannot make node0 read out of bounds.
// Internal to mint_sys (mint_device.cpp); tests fill the structs by hand.
#pragma once

#include <linux/mint.h>

#include "mint/sys/mint_device.h"

namespace mint::sys::internal {

// NODE_CREATE's and NODE_GET's answer: the APIC ids of the first `nr_cpus`
// CPUs (at most MINT_MAX_CPUS), at most MINT_MAX_RANGES RAM ranges.
CreatedNode ReadCreated(const mint_node_create& arg, size_t nr_cpus);

#ifdef MINT_NODE_CHAN
// NODE_CHAN's answer for a call that sent `tx_size` bytes and offered
// `rx_size`: a received length larger than the buffer is an error (kIo,
// naming the node), never a length to read.
Result<ChanResult> ReadChan(uint32_t id, const mint_node_chan& arg, size_t tx_size, size_t rx_size);
#endif

}  // namespace mint::sys::internal
