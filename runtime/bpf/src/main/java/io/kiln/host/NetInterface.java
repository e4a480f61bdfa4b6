package io.kiln.host;

/**
 * A network interface as one network namespace shows it.
 *
 * @param ifindex its index in that namespace
 * @param mac     its hardware address, lower case with colons ({@code 02:00:00:00:02:01})
 */
public record NetInterface(String name, int ifindex, String mac) {
}
