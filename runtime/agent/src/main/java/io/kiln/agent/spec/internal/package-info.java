/** The readers behind {@link io.kiln.agent.spec.SpecReader}, on the located tree of {@code io.kiln.yaml}. */
package io.kiln.agent.spec.internal;
