/** Security identities, CIDR identities and service ids: numbering, stable allocation, pins. */
package io.kiln.agent.identity;
