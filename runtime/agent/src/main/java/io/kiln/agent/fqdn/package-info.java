/**
 * DNS-aware policy: DNS answers an endpoint receives ({@link io.kiln.agent.fqdn.DnsAnswers}, read
 * with dnsjava) teach the addresses of the names its {@code toFQDNs} rules select
 * ({@link io.kiln.agent.fqdn.FqdnCache}), bounded by TTL and by per-endpoint and per-node limits.
 */
package io.kiln.agent.fqdn;
