package io.kiln.agent.k8s;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.kiln.agent.policy.PolicyComputer;
import io.kiln.agent.source.SourceSnapshot;
import io.kiln.agent.spec.AddressLiterals;
import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.SpecError;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Kubernetes source against fabric8's mock API server in CRUD mode (objects created are stored and watched). */
class KubernetesSourceTest {
    private static final String NODE = "node-1";
    private final BlockingQueue<SourceSnapshot> snapshots = new LinkedBlockingQueue<>();
    private KubernetesMockServer server;
    private KubernetesClient client;
    private KubernetesSource source;

    @BeforeEach
    void startServer() {
        List<CustomResourceDefinitionContext> crds = List.of(crd("KilnPolicy", "kilnpolicies"),
                crd("KilnService", "kilnservices"));
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(crds), false);
        server.init();
        client = server.createClient();
        source = new KubernetesSource(client, NODE, snapshots::add, Duration.ofSeconds(30), false);
    }

    @AfterEach
    void stopServer() {
        source.close();
        client.close();
        server.destroy();
    }

    private static CustomResourceDefinitionContext crd(String kind, String plural) {
        return new CustomResourceDefinitionContext.Builder().withGroup(KubernetesSource.GROUP)
                .withVersion(KubernetesSource.VERSION).withKind(kind).withPlural(plural).withScope("Namespaced")
                .withName(plural + "." + KubernetesSource.GROUP).build();
    }

    @Test
    void podsOnThisNodeBecomeEndpoints() throws Exception {
        source.start();
        assertEquals(List.of(), next(s -> true).endpoints());

        client.pods().inNamespace("shop").resource(pod("web", NODE, "198.18.0.12")).create();
        SourceSnapshot s = next(x -> x.endpoints().size() == 1);
        EndpointSpec e = s.endpoints().get(0);
        assertEquals(PodMapping.preferredId("shop", "web"), e.id());
        assertEquals(Optional.of(e.id()), source.endpointId("shop", "web"));
        // echo -n shop.web | sha1sum: 551b05c3e5468d79...; the CNI's naming, from namespace and name only
        assertEquals("kiln551b05c3e54", e.interfaceName());
        assertEquals("endpoint", e.template());
        assertEquals(Map.of(), e.build());
        assertEquals("198.18.0.12", AddressLiterals.format(e.addresses().ipv4()));
        assertEquals("2001:db8::12", AddressLiterals.format(e.addresses().ipv6()));
        assertEquals(Map.of("app", "web", PolicyComputer.NAMESPACE_LABEL, "shop"), e.labels().map());
        assertEquals("pod shop/web", e.origin().name());
        assertEquals(List.of(), s.errors());

        client.pods().inNamespace("shop").resource(pod("elsewhere", "node-2", "198.18.0.13")).create();
        Pod host = pod("host", NODE, "198.18.0.14");
        host.getSpec().setHostNetwork(true);
        client.pods().inNamespace("shop").resource(host).create();
        client.pods().inNamespace("shop").resource(pod("no-ip-yet", NODE, null)).create();
        client.pods().inNamespace("shop").resource(pod("plain", NODE, "198.18.0.15")).create();
        SourceSnapshot latest = next(x -> x.endpoints().size() == 2);
        Thread.sleep(300);
        latest = drainLatest(latest);
        assertEquals(List.of("pod shop/plain", "pod shop/web"), latest.endpoints().stream()
                .map(x -> x.origin().name()).sorted().toList(),
                "other nodes' pods, host-network pods and pods without an address are no endpoints; every other is one");

        client.pods().inNamespace("shop").withName("web").delete();
        next(x -> x.endpoints().size() == 1);
        assertEquals(Optional.empty(), source.endpointId("shop", "web"), "its id is free again");
    }

    @Test
    void badPodFieldsAreErrorsOfThatPodAndKeepItsLastGoodSpec() throws Exception {
        source.start();
        next(s -> true);
        client.pods().inNamespace("shop").resource(pod("web", NODE, "198.18.0.12")).create();
        next(s -> s.endpoints().size() == 1);

        Pod broken = client.pods().inNamespace("shop").withName("web").get();
        broken.getMetadata().getAnnotations().put(PodMapping.MAC, "not-a-mac");
        client.pods().inNamespace("shop").resource(broken).update();
        SourceSnapshot s = next(x -> !x.errors().isEmpty());
        SpecError err = s.errors().get(0);
        assertEquals("pod shop/web", err.source());
        assertEquals("metadata.annotations[kiln.io/mac]", err.field());
        assertEquals("pod shop/web: metadata.annotations[kiln.io/mac]: expected a MAC address like 02:00:00:00:00:0c,"
                + " got 'not-a-mac'", err.message());
        assertEquals(Integer.toString(PodMapping.preferredId("shop", "web")), err.key());
        assertTrue(err.previousKept());
        assertEquals(1, s.endpoints().size(), "the last good spec stays");
    }

    @Test
    void hostileAnnotationsAreRefusedReportedAndThePodStaysEnforced() throws Exception {
        source.close();
        PodProfiles profiles = new PodProfiles(Map.of(
                "default", new PodProfiles.Profile("endpoint", Map.of(), Map.of()),
                "ipv6", new PodProfiles.Profile("endpoint", Map.of("ipv6", true), Map.of()),
                "audit", new PodProfiles.Profile("endpoint", Map.of("policyMode", "audit"), Map.of())),
                Map.of("*", new PodProfiles.NamespaceRule("default", Set.of()),
                        "shop", new PodProfiles.NamespaceRule("default", Set.of("ipv6"))),
                Map.of("ctSize", 262144L), PodProfiles.hashedInterface("cali"));
        source = new KubernetesSource(client, NODE, snapshots::add, profiles, Duration.ofSeconds(30), false);
        source.start();
        next(s -> true);
        client.pods().inNamespace("shop").resource(pod("victim", NODE, "198.18.0.20")).create();
        int victimId = next(s -> s.endpoints().size() == 1).endpoints().get(0).id();

        Map<String, Map<String, String>> hostile = new LinkedHashMap<>();
        hostile.put("policy-off", Map.of(PodMapping.BUILD, "{policyMode: \"off\"}"));
        hostile.put("big-ct", Map.of(PodMapping.BUILD, "{ctSize: 4194304}"));
        hostile.put("eth0", Map.of(PodMapping.INTERFACE, "eth0"));
        hostile.put("thief", Map.of(PodMapping.ENDPOINT_ID, Integer.toString(victimId)));
        hostile.put("other-template", Map.of(PodMapping.TEMPLATE, "host"));
        hostile.put("constants", Map.of(PodMapping.CONSTANTS, "{GATEWAY_IPV4: 198.18.0.20}"));
        hostile.put("unknown", Map.of(PodMapping.PROFILE, "nopolicy"));
        hostile.put("disallowed", Map.of(PodMapping.PROFILE, "audit"));
        int ip = 21;
        for (Map.Entry<String, Map<String, String>> h : hostile.entrySet()) {
            Pod p = pod(h.getKey(), NODE, "198.18.0." + ip++);
            p.getMetadata().getAnnotations().putAll(h.getValue());
            client.pods().inNamespace("shop").resource(p).create();
        }
        SourceSnapshot s = next(x -> x.endpoints().size() == 1 + hostile.size() && x.errors().size() == hostile.size());
        Map<String, EndpointSpec> byPod = new HashMap<>();
        s.endpoints().forEach(e -> byPod.put(e.origin().name(), e));
        Set<Integer> ids = new HashSet<>();
        for (Map.Entry<String, Map<String, String>> h : hostile.entrySet()) {
            String pod = "pod shop/" + h.getKey();
            EndpointSpec e = byPod.get(pod);
            assertEquals("endpoint", e.template(), pod);
            assertEquals(Map.of("ctSize", 262144L), e.build(), pod + ": the default profile and the node's sizes");
            assertEquals(Map.of(), e.constants(), pod);
            assertEquals("cali" + PodProfiles.sha1Hex("shop." + h.getKey()).substring(0, 11), e.interfaceName(), pod);
            ids.add(e.id());
            String annotation = h.getValue().keySet().iterator().next();
            SpecError err = s.errors().stream().filter(x -> x.source().equals(pod)).findFirst().orElseThrow();
            assertEquals("metadata.annotations[" + annotation + "]", err.field());
            assertEquals(Integer.toString(e.id()), err.key(), "the error is the endpoint's, in kiln status");
            assertTrue(err.message().startsWith(pod + ": metadata.annotations[" + annotation + "]: refused: "),
                    err.message());
            assertTrue(err.message().endsWith("; the Pod runs with profile 'default'"), err.message());
        }
        assertFalse(ids.contains(victimId), "no Pod takes another's endpoint id");
        assertEquals(hostile.size(), ids.size());
        assertEquals(victimId, byPod.get("pod shop/victim").id());
        assertTrue(s.errors().stream().anyMatch(x -> x.message().contains("no profile 'nopolicy'; allowed: default, ipv6")));
        assertTrue(s.errors().stream().anyMatch(x -> x.message().contains(
                "profile 'audit' is not allowed in namespace shop; allowed: default, ipv6")));

        AgentEvents events = new AgentEvents();
        for (String name : hostile.keySet()) {
            Event ev = events.await(name);
            assertEquals("Warning", ev.getType());
            assertEquals(KubernetesSource.REFUSED_REASON, ev.getReason());
            assertEquals("Pod", ev.getInvolvedObject().getKind());
            assertTrue(ev.getMessage().startsWith(hostile.get(name).keySet().iterator().next() + ": refused: "),
                    ev.getMessage());
        }

        // an allowed profile is followed, without an error
        Pod v6 = pod("v6", NODE, "198.18.0.40");
        v6.getMetadata().getAnnotations().put(PodMapping.PROFILE, "ipv6");
        client.pods().inNamespace("shop").resource(v6).create();
        SourceSnapshot withV6 = next(x -> x.endpoints().stream().anyMatch(e -> e.origin().name().equals("pod shop/v6")));
        EndpointSpec e = withV6.endpoints().stream().filter(x -> x.origin().name().equals("pod shop/v6")).findFirst()
                .orElseThrow();
        assertEquals(Map.of("ipv6", true, "ctSize", 262144L), e.build());
        assertEquals(hostile.size(), withV6.errors().size());
    }

    /** The events the agent wrote on Pods of namespace shop. */
    private final class AgentEvents {
        Event await(String pod) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                for (Event e : client.v1().events().inNamespace("shop").list().getItems()) {
                    if (e.getInvolvedObject().getName().equals(pod)) {
                        return e;
                    }
                }
                Thread.sleep(100);
            }
            throw new AssertionError("no event on pod " + pod);
        }
    }

    @Test
    void collidingPreferredIdsGetDistinctIdsAndTheOlderPodKeepsItsOwn() throws Exception {
        Map<Integer, String> seen = new HashMap<>();
        String first = null;
        String second = null;
        for (int i = 0; second == null; i++) {
            String name = "p" + i;
            String other = seen.putIfAbsent(PodMapping.preferredId("shop", name), name);
            if (other != null) {
                first = other;
                second = name;
            }
        }
        source.start();
        next(s -> true);
        client.pods().inNamespace("shop").resource(pod(first, NODE, "198.18.0.30")).create();
        next(s -> s.endpoints().size() == 1);
        client.pods().inNamespace("shop").resource(pod(second, NODE, "198.18.0.31")).create();
        next(s -> s.endpoints().size() == 2);
        int preferred = PodMapping.preferredId("shop", first);
        assertEquals(Optional.of(preferred), source.endpointId("shop", first));
        assertEquals(Optional.of(preferred % EndpointSpec.MAX_ID + 1), source.endpointId("shop", second));
    }

    @Test
    void aChangeReadsOnlyTheObjectThatChanged() throws Exception {
        source.start();
        next(s -> true);
        int n = 40;
        for (int i = 0; i < n; i++) {
            client.pods().inNamespace("shop").resource(pod("p" + i, NODE, "198.18.1." + i)).create();
        }
        next(s -> s.endpoints().size() == n);
        Thread.sleep(300);
        drainLatest(null);
        long before = source.objectReads();
        Pod p = client.pods().inNamespace("shop").withName("p7").get();
        p.getMetadata().getLabels().put("tier", "front");
        client.pods().inNamespace("shop").resource(p).update();
        SourceSnapshot s = next(x -> x.endpoints().stream().anyMatch(e -> e.labels().map().containsKey("tier")));
        assertEquals(n, s.endpoints().size());
        assertEquals(1, source.objectReads() - before, "one Pod changed, one Pod read (not all " + n + ")");

        // a change that makes no difference to the endpoint sends no snapshot
        Pod again = client.pods().inNamespace("shop").withName("p7").get();
        again.getMetadata().getAnnotations().put("unrelated", "x");
        client.pods().inNamespace("shop").resource(again).update();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (source.objectReads() - before < 2 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(2, source.objectReads() - before);
        Thread.sleep(300);
        assertNull(snapshots.poll(), "nothing changed, nothing sent");
    }

    @Test
    void policiesAndServicesComeFromCustomResources() throws Exception {
        source.start();
        next(s -> true);
        client.genericKubernetesResources(KubernetesSource.KILN_POLICY).inNamespace("shop").resource(policy("web",
                Map.of("endpointSelector", Map.of("matchLabels", Map.of("app", "web")),
                        "ingress", List.of(Map.of("fromEndpoints", List.of(Map.of("matchLabels", Map.of("app", "client"))),
                                "toPorts", List.of(Map.of("port", 80, "protocol", "TCP"))))))).create();
        SourceSnapshot s = next(x -> x.policies().size() == 1);
        assertEquals("shop/web", s.policies().get(0).name());
        assertEquals("shop", s.policies().get(0).namespace());
        assertEquals(80, s.policies().get(0).ingress().get(0).ports().get(0).port());

        client.genericKubernetesResources(KubernetesSource.KILN_SERVICE).inNamespace("shop").resource(service("web",
                Map.of("vip", "198.18.200.1", "port", 80, "backends", List.of(Map.of("address", "198.18.0.12",
                        "port", 8080))))).create();
        SourceSnapshot withService = next(x -> x.services().size() == 1);
        assertEquals("shop/web", withService.services().get(0).name());

        client.genericKubernetesResources(KubernetesSource.KILN_POLICY).inNamespace("shop").resource(policy("typo",
                Map.of("endpointSelector", Map.of(), "ingres", List.of()))).create();
        SourceSnapshot bad = next(x -> !x.errors().isEmpty());
        assertEquals("KilnPolicy shop/typo: spec.ingres: unknown field 'ingres' in a KilnPolicy spec; allowed:"
                + " endpointSelector, ingress, egress, ingressDeny, egressDeny", bad.errors().get(0).message());
        assertEquals(1, bad.policies().size());

        client.genericKubernetesResources(KubernetesSource.KILN_POLICY).inNamespace("shop").withName("web").delete();
        next(x -> x.policies().isEmpty());
    }

    private static Pod pod(String name, String node, String ip) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName(name).withNamespace("shop")
                .addToLabels("app", name)
                .withAnnotations(new HashMap<>())
                .endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("busybox").endContainer()
                .endSpec();
        if (ip != null) {
            b.withNewStatus().withPhase("Running").withPodIP(ip).addNewPodIP().withIp(ip).endPodIP()
                    .addNewPodIP().withIp("2001:db8::" + ip.substring(ip.lastIndexOf('.') + 1)).endPodIP().endStatus();
        }
        return b.build();
    }

    private static GenericKubernetesResource policy(String name, Map<String, Object> spec) {
        return new GenericKubernetesResourceBuilder().withApiVersion("kiln.io/v1alpha1").withKind("KilnPolicy")
                .withNewMetadata().withName(name).withNamespace("shop").endMetadata()
                .addToAdditionalProperties("spec", spec).build();
    }

    private static GenericKubernetesResource service(String name, Map<String, Object> spec) {
        return new GenericKubernetesResourceBuilder().withApiVersion("kiln.io/v1alpha1").withKind("KilnService")
                .withNewMetadata().withName(name).withNamespace("shop").endMetadata()
                .addToAdditionalProperties("spec", spec).build();
    }

    private SourceSnapshot next(Predicate<SourceSnapshot> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            SourceSnapshot s = snapshots.poll(200, TimeUnit.MILLISECONDS);
            if (s != null && wanted.test(s)) {
                return s;
            }
        }
        throw new AssertionError("no matching snapshot within 20 s");
    }

    private SourceSnapshot drainLatest(SourceSnapshot last) {
        SourceSnapshot s;
        while ((s = snapshots.poll()) != null) {
            last = s;
        }
        return last;
    }
}
