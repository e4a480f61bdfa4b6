/** The node agent wired: {@link io.kiln.agent.Agent}. Formats and contracts: docs/agent.md. */
package io.kiln.agent;
