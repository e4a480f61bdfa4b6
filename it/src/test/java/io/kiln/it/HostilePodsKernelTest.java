package io.kiln.it;

import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.kiln.agent.Agent;
import io.kiln.agent.api.AgentClient;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.dataplane.AgentLab;
import io.kiln.agent.dataplane.EchoServers;
import io.kiln.agent.k8s.KubernetesSource;
import io.kiln.agent.k8s.PodMapping;
import io.kiln.agent.k8s.PodProfiles;
import io.kiln.cli.CliRuns;
import io.kiln.it.HostileCases.Case;
import io.kiln.it.HostileCases.Outcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.kiln.agent.dataplane.AgentLab.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile Pod annotations on a running node: an agent on the real kernel takes Pods from fabric8's
 * CRUD mock API server; client and web run as endpoints and a KilnPolicy admits only TCP 8080 into
 * web. One at a time, web's author annotates it to switch its policy off, resize a node-wide map,
 * take the client's veth or endpoint id, pick another template, constants or a profile the
 * namespace does not allow, or give a bad MAC. Each is refused: {@code kiln status} shows the field
 * {@code metadata.annotations[NAME]}, and web keeps its programs, its hooks and its policy (TCP 8080
 * passes, UDP is dropped, with real traffic); then the annotation is taken away again. Rows of
 * docs/hostile-inputs.md. Skips without root or BPF, unless KILN_REQUIRE_KERNEL=1.
 */
class HostilePodsKernelTest {
    static final String SUITE = "pods";
    private static final String NODE = "node-1";
    private static final int TCP = 8080;
    private static final int UDP = 9000;

    @TempDir
    static Path tmp;
    private static KubernetesMockServer server;
    private static KubernetesClient client;
    private static AgentLab lab;
    private static Map<Integer, Map<String, Integer>> programs;
    private static int clientId;
    private static int webId;
    private static List<Case> cases;

    @BeforeAll
    static void nodeWithPods() throws Exception {
        lab = AgentLab.create(tmp, 1, 2);
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(List.of(crd("KilnPolicy", "kilnpolicies"), crd("KilnService", "kilnservices"))),
                false);
        server.init();
        client = server.createClient();
        lab.servers.udp(lab.ns(2), UDP);
        lab.servers.tcp(lab.ns(2), TCP);
        client.pods().inNamespace("shop").resource(pod("client", 1, Map.of())).create();
        client.pods().inNamespace("shop").resource(pod("web", 2, Map.of())).create();
        // the lab is the CNI: its veths are lxc1 and lxc2; "audit" exists but shop may not select it
        Map<String, Object> gateway = Map.of("GATEWAY_IPV4", AgentLab.GATEWAY);
        PodProfiles profiles = new PodProfiles(Map.of(
                "default", new PodProfiles.Profile("endpoint", Map.of(), gateway),
                "audit", new PodProfiles.Profile("endpoint", Map.of("policyMode", "audit"), gateway)),
                Map.of("shop", new PodProfiles.NamespaceRule("default", Set.of())), Map.of(),
                p -> AgentLab.hostIf(p.getMetadata().getName().equals("client") ? 1 : 2));
        clientId = PodMapping.preferredId("shop", "client");
        webId = PodMapping.preferredId("shop", "web");
        Agent agent = lab.start(lab.agent(lab.dataplaneInNodeNamespace()).api(true)
                .kubernetes(client, NODE, profiles, false));
        client.genericKubernetesResources(KubernetesSource.KILN_POLICY).inNamespace("shop").resource(
                new GenericKubernetesResourceBuilder().withApiVersion("kiln.io/v1alpha1").withKind("KilnPolicy")
                        .withNewMetadata().withName("web").withNamespace("shop").endMetadata()
                        .addToAdditionalProperties("spec", Map.of(
                                "endpointSelector", Map.of("matchLabels", Map.of("app", "web")),
                                "ingress", List.of(Map.of(
                                        "fromEndpoints", List.of(Map.of("matchLabels", Map.of("app", "client"))),
                                        "toPorts", List.of(Map.of("port", TCP, "protocol", "TCP"))))))
                        .build()).create();
        AgentLab.eventually("UDP denied by the KilnPolicy", () -> !EchoServers.udpWorks(lab.ns(1), ip(2), UDP),
                () -> agent.reconciler().status().toString());
        programs = programIds(lab.awaitReady(agent, clientId, webId));
        assertEquals(2, programs.size(), programs.toString());
        assertPolicyEnforced();
        // the quick UDP probe of assertPolicyEnforced sees an echo where one comes (no policy selects the client)
        lab.servers.udp(lab.ns(1), UDP);
        assertTrue(EchoServers.udpWorks(lab.ns(2), ip(1), UDP), "UDP from web to the client passes");
        assertTrue(EchoServers.udpAnsweredWithin(lab.ns(2), ip(1), UDP, 300), "and is echoed within 300 ms");
    }

    @AfterAll
    static void stop() throws Exception {
        HostileCases.writeTable(SUITE);
        try {
            if (lab != null) {
                lab.close();
            }
        } finally {
            if (client != null) {
                client.close();
            }
            if (server != null) {
                server.destroy();
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> hostileAnnotationsAreRefusedAndThePodStaysEnforced() throws Exception {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            HostileCases.check(SUITE, c);
            assertNothingChanged(c.name());
        }));
    }

    @Test
    void everyCaseIsInTheTable() throws Exception {
        HostileCases.assertDocumented(SUITE, cases());
    }

    static synchronized List<Case> cases() {
        if (cases == null) {
            List<Case> out = new ArrayList<>();
            out.add(annotate("pod-policy-off", "`kiln.io/build: {policyMode: \"off\"}`", PodMapping.BUILD,
                    "{policyMode: \"off\"}", "refused"));
            out.add(annotate("pod-node-wide-size", "`kiln.io/build: {ctSize: 4194304}` (a map every endpoint shares)",
                    PodMapping.BUILD, "{ctSize: 4194304}", "refused"));
            out.add(annotate("pod-other-veth", "`kiln.io/interface: lxc1`, the client's veth", PodMapping.INTERFACE,
                    "lxc1", "refused"));
            out.add(annotate("pod-host-interface", "`kiln.io/interface: eth0`", PodMapping.INTERFACE, "eth0",
                    "refused"));
            out.add(annotate("pod-other-endpoint-id", "`kiln.io/endpoint-id:` the client's id", PodMapping.ENDPOINT_ID,
                    "%CLIENT_ID%", "refused"));
            out.add(annotate("pod-other-template", "`kiln.io/template: xdp_prefilter`", PodMapping.TEMPLATE,
                    "xdp_prefilter", "refused"));
            out.add(annotate("pod-constants", "`kiln.io/constants: {GATEWAY_IPV4: 198.18.0.99}`", PodMapping.CONSTANTS,
                    "{GATEWAY_IPV4: 198.18.0.99}", "refused"));
            out.add(annotate("pod-unknown-profile", "`kiln.io/profile: nopolicy`", PodMapping.PROFILE, "nopolicy",
                    "no profile 'nopolicy'"));
            out.add(annotate("pod-disallowed-profile", "`kiln.io/profile: audit` (not allowed in namespace shop)",
                    PodMapping.PROFILE, "audit", "not allowed in namespace shop"));
            out.add(annotate("pod-bad-mac", "`kiln.io/mac: \"zz\\u001b[2J\"`", PodMapping.MAC, "zz\u001b[2J",
                    "expected a MAC address"));
            out.add(annotate("pod-huge-annotation", "`kiln.io/build:` 100,000 characters", PodMapping.BUILD,
                    "{policyMode: " + "x".repeat(100_000) + "}", "refused"));
            cases = List.copyOf(out);
        }
        return cases;
    }

    /**
     * Annotates web with {@code annotation: value}, waits until {@code kiln status} shows the
     * refusal, then puts the annotation back as it was and waits until the refusal is gone.
     */
    private static Case annotate(String name, String input, String annotation, String value, String expected) {
        String field = "metadata.annotations[" + annotation + "]";
        return new Case(name, input, 0, field, expected, () -> {
            String before = setAnnotation(annotation, value.replace("%CLIENT_ID%", Integer.toString(clientId)));
            try {
                String[] report = {""};
                poll(name + " reported", () -> {
                    CliRuns.Run r = status();
                    report[0] = r.out() + r.err();
                    return !lines(r.out(), field).isEmpty();
                }, () -> report[0]);
                CliRuns.Run r = status();
                return new Outcome(r.exit(), lines(r.out(), field).lines().findFirst().orElse("") + r.err());
            } finally {
                setAnnotation(annotation, before);
                poll(name + " taken back", () -> lines(status().out(), field).isEmpty(), () -> status().out());
            }
        });
    }

    /** Sets (or with null removes) one annotation of web; returns what it was. */
    private static String setAnnotation(String annotation, String value) {
        Pod web = client.pods().inNamespace("shop").withName("web").get();
        Map<String, String> annotations = new TreeMap<>(web.getMetadata().getAnnotations());
        String before = value == null ? annotations.remove(annotation) : annotations.put(annotation, value);
        web.getMetadata().setAnnotations(annotations);
        client.pods().inNamespace("shop").resource(web).update();
        return before;
    }

    private static CliRuns.Run status() {
        return CliRuns.kiln("status", "--state-dir", lab.stateDir.toString());
    }

    private static String lines(String status, String what) {
        return status.lines().filter(l -> l.startsWith("  ")).filter(l -> l.contains(what)).map(String::strip)
                .collect(Collectors.joining("\n"));
    }

    private static void poll(String what, java.util.concurrent.Callable<Boolean> condition,
                             java.util.concurrent.Callable<String> state) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 20 s: " + what + "; now: " + state.call());
            }
            Thread.sleep(50);
        }
    }

    private static void assertNothingChanged(String name) throws Exception {
        AgentClient api = AgentClient.unix(lab.stateDir.resolve("api.sock"));
        // a Pod update is a new plan: the reconciler checks it (PENDING a moment) and finds nothing to do
        poll(name + ": endpoints settled", () -> api.status().endpoints().stream()
                .allMatch(e -> e.state() == EndpointStatus.State.READY), api::statusJson);
        AgentStatus st = api.status();
        assertEquals(programs, programIds(st), name + ": the programs running changed: " + st);
        for (EndpointStatus e : st.endpoints()) {
            assertEquals(EndpointStatus.State.READY, e.state(), name + ": " + e);
        }
        assertTrue(lab.hooksIntact(clientId) && lab.hooksIntact(webId), name + ": a hook lost its program");
        assertPolicyEnforced();
    }

    private static void assertPolicyEnforced() throws Exception {
        assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP), "TCP 8080 from the client into web is allowed");
        // right after the TCP exchange (neighbour entry fresh): an echo would take under a millisecond
        assertFalse(EchoServers.udpAnsweredWithin(lab.ns(1), ip(2), UDP, 300), "UDP into web is dropped by the KilnPolicy");
    }

    private static Map<Integer, Map<String, Integer>> programIds(AgentStatus st) {
        Map<Integer, Map<String, Integer>> out = new TreeMap<>();
        st.endpoints().forEach(e -> out.put(e.id(), e.programIds()));
        return out;
    }

    /** A Pod on this node whose host-side veth is lxcN in the node namespace (the profiles name it). */
    private static Pod pod(String name, int id, Map<String, String> annotations) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("shop").addToLabels("app", name)
                .addToAnnotations(PodMapping.MAC, AgentLab.mac(id)).addToAnnotations(annotations)
                .endMetadata()
                .withNewSpec().withNodeName(NODE).addNewContainer().withName("c").withImage("busybox").endContainer()
                .endSpec()
                .withNewStatus().withPhase("Running").withPodIP(ip(id)).addNewPodIP().withIp(ip(id)).endPodIP().endStatus()
                .build();
    }

    private static CustomResourceDefinitionContext crd(String kind, String plural) {
        return new CustomResourceDefinitionContext.Builder().withGroup(KubernetesSource.GROUP)
                .withVersion(KubernetesSource.VERSION).withKind(kind).withPlural(plural).withScope("Namespaced")
                .withName(plural + "." + KubernetesSource.GROUP).build();
    }
}
