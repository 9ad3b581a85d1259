/** `convai.agents`: the agent's shareable link. */
import type { Call, RequestOptions } from "../http/call.ts";
import { requireId } from "../core/input.ts";
import type { AgentLink } from "../types.ts";

export interface Agents {
  /**
   * The agent's shareable link and its token.
   *
   * @example
   * const { token } = await convai.agents.link("agent_123");
   */
  link(agentId: string, options?: RequestOptions): Promise<AgentLink>;
}

export function createAgents(call: Call): Agents {
  return {
    link: async (agentId, options) =>
      call(
        "getAgentLink",
        { params: { path: { agent_id: requireId("agents.link", "agentId", agentId) } } },
        options,
        "agents.link",
      ),
  };
}
