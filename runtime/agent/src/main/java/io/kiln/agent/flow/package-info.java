/**
 * Flow visibility in the agent: reads the node ring buffer {@code flow_events} that the endpoint
 * template fills (bpf-templates' {@code include/kiln/flows.h}), enriches each event with the
 * endpoints, identities and labels the agent knows, keeps a bounded ring of recent flows, and
 * serves them through {@code GET /v1/flows} and {@code /metrics}.
 */
package io.kiln.agent.flow;
