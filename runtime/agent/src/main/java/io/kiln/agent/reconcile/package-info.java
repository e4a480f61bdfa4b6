/**
 * Desired against actual: the {@link io.kiln.agent.reconcile.Reconciler} and the seam to the
 * kernel side, {@link io.kiln.agent.reconcile.Dataplane}.
 */
package io.kiln.agent.reconcile;
