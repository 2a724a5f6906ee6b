// node_watch.h: the node's state and agent as the channel clients see them.
#include "node_watch.h"

namespace mint::channel {

std::string ReadAttr(sys::HostFs& fs, const NodeRef& node, const char* attr) {
  auto text = fs.ReadFile(node.dir + "/" + attr);
  return text.ok() ? TrimTrailing(*text) : "";
}

std::string WayOut(NodeState state, const std::string& name) {
  if (state == NodeState::kHung)
    return "; mintctl kill " + name + " stops it, mintctl restart " + name + " boots it again";
  if (WentDown(state) || state == NodeState::kStopped)
    return "; mintctl restart " + name + " boots it again";
  return "";
}

std::string Duration(std::chrono::milliseconds d) {
  return d.count() % 1000 == 0 ? std::to_string(d.count() / 1000) + " s"
                               : std::to_string(d.count()) + " ms";
}

std::string StateText(NodeState state, const std::string& reason) {
  return std::string(NodeStateName(state)) + (reason.empty() ? "" : " (" + reason + ")");
}

std::optional<Error> NodeGone(sys::HostFs& fs, const NodeRef& node, const std::string& during,
                              const std::string& unknown) {
  auto state_text = fs.ReadFile(node.dir + "/state");
  if (!state_text.ok()) {
    if (state_text.error().code == ErrorCode::kNotFound)
      return MakeError(ErrorCode::kIo, node.name,
                       "the node was destroyed while " + during + unknown);
    return state_text.take_error();
  }
  MINT_TRY(NodeState state, ParseNodeState(*state_text, node.dir + "/state"));
  if (state != NodeState::kRunning)
    return MakeError(ErrorCode::kIo, node.name,
                     "the node is now " + StateText(state, ReadAttr(fs, node, "reason")) + unknown +
                         WayOut(state, node.name));
  std::string agent = ReadAttr(fs, node, "agent");
  if (agent != "ready")
    return MakeError(ErrorCode::kIo, node.name,
                     "the node's mint-agent went away while " + during + " (" + node.dir +
                         "/agent says " + (agent.empty() ? "nothing" : agent) + ")" + unknown);
  return std::nullopt;
}

}  // namespace mint::channel
