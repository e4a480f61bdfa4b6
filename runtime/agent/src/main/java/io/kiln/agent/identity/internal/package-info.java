/** Number pools behind {@link io.kiln.agent.identity.IdentityAllocator}. */
package io.kiln.agent.identity.internal;
