/** Small helpers of the agent's packages. */
package io.kiln.agent.internal;
