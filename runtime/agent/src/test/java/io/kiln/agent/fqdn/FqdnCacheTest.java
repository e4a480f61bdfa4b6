package io.kiln.agent.fqdn;

import io.kiln.agent.spec.FqdnSelector;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FqdnCacheTest {
    private static final Instant T0 = Instant.parse("2026-12-04T12:00:00Z");
    private static final List<FqdnSelector> RULES = List.of(FqdnSelector.name("api.example.test"),
            FqdnSelector.pattern("*.cdn.test"));

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    private static DnsAnswer answer(String name, long ttl, String... addresses) throws Exception {
        DnsWire w = new DnsWire(name, DnsWire.typeA());
        for (String a : addresses) {
            w.a(name, a, ttl);
        }
        return DnsAnswers.parse(w.wire());
    }

    @Test
    void onlyNamesTheRulesSelectAreKept() throws Exception {
        FqdnCache c = new FqdnCache(Duration.ofSeconds(5), 100, 1000);
        assertEquals(new FqdnCache.Learned(2, 0, 0, 0), c.learn(7, answer("api.example.test", 60, "198.18.5.1",
                "198.18.5.2"), RULES, T0));
        assertEquals(new FqdnCache.Learned(0, 0, 0, 1), c.learn(7, answer("other.test", 60, "198.18.5.9"), RULES, T0));
        assertEquals(new FqdnCache.Learned(0, 1, 0, 0), c.learn(7, answer("api.example.test", 600, "198.18.5.1"),
                RULES, T0.plusSeconds(1)), "seen again: refreshed, not added");
        var by = c.addresses(RULES);
        assertEquals(Set.of(ip("198.18.5.1"), ip("198.18.5.2")), by.get(FqdnSelector.name("api.example.test")));
        assertTrue(by.get(FqdnSelector.pattern("*.cdn.test")).isEmpty());
    }

    @Test
    void entriesLastAtLeastTheMinimumThenUntilNoConnectionUsesThem() throws Exception {
        FqdnCache c = new FqdnCache(Duration.ofSeconds(10), 100, 1000);
        c.learn(1, answer("api.example.test", 0, "198.18.5.1"), RULES, T0);
        c.learn(1, answer("edge.cdn.test", 60, "198.18.6.1"), RULES, T0);
        assertEquals(List.of(), c.expire(T0.plusSeconds(9), a -> false), "TTL 0 still lasts the minimum");
        InetAddress busy = ip("198.18.5.1");
        assertEquals(List.of(), c.expire(T0.plusSeconds(30), busy::equals), "in use by a connection: kept");
        List<FqdnCache.Entry> gone = c.expire(T0.plusSeconds(30), a -> false);
        assertEquals(1, gone.size());
        assertEquals("api.example.test", gone.get(0).name());
        assertEquals(T0.plusSeconds(10), gone.get(0).expires());
        assertEquals(1, c.size());
        assertEquals(1, c.expire(T0.plusSeconds(61), a -> false).size());
    }

    @Test
    void boundsRefuseNewEntriesAndCountThem() throws Exception {
        FqdnCache c = new FqdnCache(Duration.ZERO, 3, 5);
        String[] many = {"198.18.7.1", "198.18.7.2", "198.18.7.3", "198.18.7.4", "198.18.7.5"};
        assertEquals(new FqdnCache.Learned(3, 0, 2, 0), c.learn(1, answer("api.example.test", 60, many), RULES, T0));
        assertEquals(new FqdnCache.Learned(2, 0, 3, 0), c.learn(2, answer("api.example.test", 60, many), RULES, T0),
                "the node's bound of 5 stops endpoint 2 at 2");
        assertEquals(5, c.size());
        assertEquals(5, c.refused());
        c.forget(1);
        assertEquals(2, c.size());
        assertEquals(List.of(2, 2), c.entries(null).stream().map(FqdnCache.Entry::endpointId).toList());
        assertEquals(2, c.entries(2).size());
    }

    @Test
    void namesByAddressFollowLearningExpiryAndForgetting() throws Exception {
        FqdnCache c = new FqdnCache(Duration.ZERO, 100, 1000);
        java.util.Set<InetAddress> added = new java.util.HashSet<>();
        c.learn(1, answer("api.example.test", 10, "198.18.5.1"), RULES, T0, added);
        c.learn(2, answer("api.example.test", 60, "198.18.5.1"), RULES, T0, added);
        c.learn(2, answer("edge.cdn.test", 60, "198.18.5.1", "198.18.5.2"), RULES, T0, added);
        assertEquals(Set.of(ip("198.18.5.1"), ip("198.18.5.2")), added, "each address an entry was added for");
        assertEquals(Set.of("api.example.test", "edge.cdn.test"), Set.copyOf(c.names(ip("198.18.5.1"))));
        c.expire(T0.plusSeconds(30), a -> false);
        assertEquals(Set.of("api.example.test", "edge.cdn.test"), Set.copyOf(c.names(ip("198.18.5.1"))),
                "endpoint 2 still has api.example.test");
        c.forget(2);
        assertEquals(List.of(), c.names(ip("198.18.5.1")));
        assertEquals(List.of(), c.names(ip("198.18.5.2")));
    }
}
