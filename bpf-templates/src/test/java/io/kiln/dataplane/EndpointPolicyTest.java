package io.kiln.dataplane;

import static io.kiln.dataplane.Fixture.REMOTE;
import static io.kiln.dataplane.Fixture.REMOTE_IDENTITY;
import static io.kiln.dataplane.Fixture.STRANGER;
import static io.kiln.dataplane.Fixture.fromEndpoint;
import static io.kiln.dataplane.Fixture.load;
import static io.kiln.dataplane.Fixture.packets;
import static io.kiln.dataplane.Fixture.policy;
import static io.kiln.dataplane.Fixture.toEndpoint;
import static io.kiln.dataplane.EndpointMaps.ALLOW;
import static io.kiln.dataplane.EndpointMaps.DENY;
import static io.kiln.dataplane.EndpointMaps.DIR_EGRESS;
import static io.kiln.dataplane.EndpointMaps.DIR_INGRESS;
import static io.kiln.dataplane.EndpointMaps.IDENTITY_ANY;
import static io.kiln.dataplane.EndpointMaps.IDENTITY_MARK_MAGIC;
import static io.kiln.dataplane.EndpointMaps.IDENTITY_WORLD;
import static io.kiln.lab.Packets.IPPROTO_ICMP;
import static io.kiln.lab.Packets.IPPROTO_TCP;
import static io.kiln.lab.Packets.IPPROTO_UDP;
import static io.kiln.lab.Packets.TCP_SYN;
import static io.kiln.testing.TestRun.TC_ACT_OK;
import static io.kiln.testing.TestRun.TC_ACT_SHOT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.testing.TemplateUnderTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Identity-based policy, in the specialized (constants) and the generic (map) build alike. Conntrack is
 * off here, so every packet is judged by policy; conntrack has its own test.
 */
class EndpointPolicyTest {
    private static TemplateUnderTest stateless(String configSource, String mode) {
        return load("connectionTracking", false, "loadBalancing", false, "configSource", configSource, "policyMode", mode);
    }

    private static byte[] syn(String dst, int dport) {
        return fromEndpoint(dst).tcp(40000, dport, TCP_SYN).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void allowsExactlyWhatAnEntryAllows(String configSource) {
        try (TemplateUnderTest t = stateless(configSource, "enforce")) {
            policy(t, REMOTE_IDENTITY, 80, IPPROTO_TCP, DIR_EGRESS, ALLOW);

            t.run("from_endpoint", syn(REMOTE, 80)).assertVerdict(TC_ACT_OK);
            t.run("from_endpoint", syn(REMOTE, 81)).assertVerdict(TC_ACT_SHOT);
            t.run("from_endpoint", fromEndpoint(REMOTE).udp(40000, 80).build()).assertVerdict(TC_ACT_SHOT);
            t.run("from_endpoint", syn(STRANGER, 80)).assertVerdict(TC_ACT_SHOT);
            // the entry is for egress: the same identity and port inbound is not allowed
            t.run("to_endpoint", toEndpoint(REMOTE).tcp(40000, 80, TCP_SYN).build()).assertVerdict(TC_ACT_SHOT);

            assertEquals(1, packets(t, DIR_EGRESS, DropReason.FORWARDED));
            assertEquals(3, packets(t, DIR_EGRESS, DropReason.POLICY_DENIED));
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.POLICY_DENIED));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void emptyPolicyDeniesBothDirections(String configSource) {
        try (TemplateUnderTest t = stateless(configSource, "enforce")) {
            t.run("from_endpoint", syn(REMOTE, 80)).assertVerdict(TC_ACT_SHOT);
            t.run("to_endpoint", toEndpoint(REMOTE).udp(53, 5353).build()).assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.POLICY_DENIED));
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.POLICY_DENIED));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void denyEntryDropsWithItsOwnReason(String configSource) {
        try (TemplateUnderTest t = stateless(configSource, "enforce")) {
            policy(t, REMOTE_IDENTITY, 80, IPPROTO_TCP, DIR_EGRESS, DENY);
            t.run("from_endpoint", syn(REMOTE, 80)).assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.POLICY_DENY_RULE));
            assertEquals(0, packets(t, DIR_EGRESS, DropReason.POLICY_DENIED));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void wildcardPortAllowsEveryPortOfOneProtocol(String configSource) {
        try (TemplateUnderTest t = stateless(configSource, "enforce")) {
            policy(t, REMOTE_IDENTITY, 0, IPPROTO_TCP, DIR_EGRESS, ALLOW);
            for (int port : new int[] {1, 80, 443, 65535}) {
                t.run("from_endpoint", syn(REMOTE, port)).assertVerdict(TC_ACT_OK);
            }
            t.run("from_endpoint", fromEndpoint(REMOTE).udp(40000, 53).build()).assertVerdict(TC_ACT_SHOT);
            assertEquals(4, packets(t, DIR_EGRESS, DropReason.FORWARDED));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void wildcardIdentityAllowsEveryRemoteIncludingWorld(String configSource) {
        try (TemplateUnderTest t = stateless(configSource, "enforce")) {
            policy(t, IDENTITY_ANY, 53, IPPROTO_UDP, DIR_EGRESS, ALLOW);
            t.run("from_endpoint", fromEndpoint(REMOTE).udp(40000, 53).build()).assertVerdict(TC_ACT_OK);
            t.run("from_endpoint", fromEndpoint(STRANGER).udp(40000, 53).build()).assertVerdict(TC_ACT_OK);
            t.run("from_endpoint", fromEndpoint(STRANGER).udp(40000, 54).build()).assertVerdict(TC_ACT_SHOT);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void wildcardEverythingAllowsAnyProtocol(String configSource) {
        try (TemplateUnderTest t = stateless(configSource, "enforce")) {
            policy(t, REMOTE_IDENTITY, 0, 0, DIR_EGRESS, ALLOW);
            t.run("from_endpoint", syn(REMOTE, 22)).assertVerdict(TC_ACT_OK);
            t.run("from_endpoint", fromEndpoint(REMOTE).udp(1, 2).build()).assertVerdict(TC_ACT_OK);
            t.run("from_endpoint", fromEndpoint(REMOTE).echoRequest(7, 1).build()).assertVerdict(TC_ACT_OK);
            t.run("from_endpoint", syn(STRANGER, 22)).assertVerdict(TC_ACT_SHOT);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void denyBeatsAllowWhicheverIsMoreSpecific(String configSource) {
        try (TemplateUnderTest t = stateless(configSource, "enforce")) {
            // a broad allow with a narrow deny
            policy(t, IDENTITY_ANY, 0, 0, DIR_EGRESS, ALLOW);
            policy(t, REMOTE_IDENTITY, 443, IPPROTO_TCP, DIR_EGRESS, DENY);
            t.run("from_endpoint", syn(REMOTE, 443)).assertVerdict(TC_ACT_SHOT);
            t.run("from_endpoint", syn(REMOTE, 80)).assertVerdict(TC_ACT_OK);
            t.run("from_endpoint", syn(STRANGER, 443)).assertVerdict(TC_ACT_OK);
            // a narrow allow with a broad deny: the deny still wins
            policy(t, REMOTE_IDENTITY, 8080, IPPROTO_TCP, DIR_EGRESS, ALLOW);
            policy(t, IDENTITY_ANY, 8080, IPPROTO_TCP, DIR_EGRESS, DENY);
            t.run("from_endpoint", syn(REMOTE, 8080)).assertVerdict(TC_ACT_SHOT);
            assertEquals(2, packets(t, DIR_EGRESS, DropReason.POLICY_DENY_RULE));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void unknownActionCountsAsDeny(String configSource) {
        try (TemplateUnderTest t = stateless(configSource, "enforce")) {
            policy(t, REMOTE_IDENTITY, 80, IPPROTO_TCP, DIR_EGRESS, 7);
            t.run("from_endpoint", syn(REMOTE, 80)).assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.POLICY_DENY_RULE));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void ingressTakesTheSendersIdentityFromTheMarkElseTheIpcache(String configSource) {
        try (TemplateUnderTest t = stateless(configSource, "enforce")) {
            policy(t, 5000, 8080, IPPROTO_TCP, DIR_INGRESS, ALLOW);
            policy(t, IDENTITY_WORLD, 9090, IPPROTO_TCP, DIR_INGRESS, ALLOW);
            byte[] to8080 = toEndpoint(Fixture.STRANGER).tcp(40000, 8080, TCP_SYN).build();
            byte[] to9090 = toEndpoint(Fixture.STRANGER).tcp(40000, 9090, TCP_SYN).build();

            t.run("to_endpoint", to8080, IDENTITY_MARK_MAGIC | 5000).assertVerdict(TC_ACT_OK);
            t.run("to_endpoint", to8080).assertVerdict(TC_ACT_SHOT);              // world, not 5000
            t.run("to_endpoint", to9090).assertVerdict(TC_ACT_OK);                // world is allowed 9090
            t.run("to_endpoint", to8080, 0x12000000 | 5000).assertVerdict(TC_ACT_SHOT); // not our mark
            // a known address without a mark: the ipcache's identity, not world
            t.run("to_endpoint", toEndpoint(REMOTE).tcp(40000, 9090, TCP_SYN).build()).assertVerdict(TC_ACT_SHOT);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void auditPassesAndCountsWhatEnforceWouldDrop(String configSource) {
        try (TemplateUnderTest t = stateless(configSource, "audit")) {
            policy(t, REMOTE_IDENTITY, 80, IPPROTO_TCP, DIR_EGRESS, ALLOW);
            policy(t, REMOTE_IDENTITY, 443, IPPROTO_TCP, DIR_EGRESS, DENY);
            t.run("from_endpoint", syn(REMOTE, 80)).assertVerdict(TC_ACT_OK);
            t.run("from_endpoint", syn(REMOTE, 443)).assertVerdict(TC_ACT_OK);
            t.run("from_endpoint", syn(REMOTE, 22)).assertVerdict(TC_ACT_OK);
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.FORWARDED));
            assertEquals(2, packets(t, DIR_EGRESS, DropReason.POLICY_AUDIT));
            assertEquals(0, packets(t, DIR_EGRESS, DropReason.POLICY_DENIED));
            assertEquals(0, packets(t, DIR_EGRESS, DropReason.POLICY_DENY_RULE));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void offPassesEverythingWithoutEntries(String configSource) {
        try (TemplateUnderTest t = stateless(configSource, "off")) {
            policy(t, REMOTE_IDENTITY, 80, IPPROTO_TCP, DIR_EGRESS, DENY); // no policy code reads it
            t.run("from_endpoint", syn(REMOTE, 80)).assertVerdict(TC_ACT_OK);
            t.run("to_endpoint", toEndpoint(STRANGER).udp(1, 2).build()).assertVerdict(TC_ACT_OK);
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.FORWARDED));
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.FORWARDED));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void icmpEchoIsJudgedWithPortZero(String configSource) {
        try (TemplateUnderTest t = stateless(configSource, "enforce")) {
            policy(t, REMOTE_IDENTITY, 0, IPPROTO_ICMP, DIR_EGRESS, ALLOW);
            t.run("from_endpoint", fromEndpoint(REMOTE).echoRequest(99, 1).build()).assertVerdict(TC_ACT_OK);
            t.run("from_endpoint", fromEndpoint(STRANGER).echoRequest(99, 1).build()).assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.FORWARDED));
        }
    }
}
