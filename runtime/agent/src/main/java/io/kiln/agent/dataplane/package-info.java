/**
 * The agent's kernel side: {@link io.kiln.agent.dataplane.KernelDataplane} implements the
 * reconciler's {@link io.kiln.agent.reconcile.Dataplane} over {@code io.kiln.runtime}, with
 * objects from {@link io.kiln.agent.dataplane.ObjectSources} (bundles, the object store, clang).
 */
package io.kiln.agent.dataplane;
