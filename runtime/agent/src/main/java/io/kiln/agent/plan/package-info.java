/** From desired state to a {@link io.kiln.agent.plan.Plan}: one {@link io.kiln.agent.plan.EndpointPlan} per endpoint, the node maps, and the errors. */
package io.kiln.agent.plan;
