/**
 * What the agent writes into maps, as plain records (the byte layouts are the dataplane's): policy
 * entries computed from policies, the node maps, and the fewest writes between two states.
 */
package io.kiln.agent.policy;
