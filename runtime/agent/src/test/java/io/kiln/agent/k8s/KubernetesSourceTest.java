package io.kiln.agent.k8s;

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
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

        client.pods().inNamespace("shop").resource(pod("web", NODE, "12", "198.18.0.12")).create();
        SourceSnapshot s = next(x -> x.endpoints().size() == 1);
        EndpointSpec e = s.endpoints().get(0);
        assertEquals(12, e.id());
        assertEquals("lxc-web", e.interfaceName());
        assertEquals("endpoint", e.template());
        assertEquals(Map.of("ipv6", true), e.build());
        assertEquals("198.18.0.12", AddressLiterals.format(e.addresses().ipv4()));
        assertEquals("2001:db8::12", AddressLiterals.format(e.addresses().ipv6()));
        assertEquals(Map.of("app", "web", PolicyComputer.NAMESPACE_LABEL, "shop"), e.labels().map());
        assertEquals("pod shop/web", e.origin().name());

        client.pods().inNamespace("shop").resource(pod("elsewhere", "node-2", "13", "198.18.0.13")).create();
        Pod plain = pod("plain", NODE, "14", "198.18.0.14");
        plain.getMetadata().getAnnotations().clear();
        client.pods().inNamespace("shop").resource(plain).create();
        client.pods().inNamespace("shop").resource(pod("no-ip-yet", NODE, "15", null)).create();
        SourceSnapshot after = next(x -> true);
        Thread.sleep(300);
        SourceSnapshot latest = drainLatest(after);
        assertEquals(List.of(12), latest.endpoints().stream().map(EndpointSpec::id).toList(),
                "other nodes' pods, pods without the annotation and pods without an address are no endpoints");

        client.pods().inNamespace("shop").withName("web").delete();
        next(x -> x.endpoints().isEmpty());
    }

    @Test
    void badAnnotationsAreErrorsOfThatPodAndKeepItsLastGoodSpec() throws Exception {
        source.start();
        next(s -> true);
        client.pods().inNamespace("shop").resource(pod("web", NODE, "12", "198.18.0.12")).create();
        next(s -> s.endpoints().size() == 1);

        Pod broken = client.pods().inNamespace("shop").withName("web").get();
        broken.getMetadata().getAnnotations().put(PodMapping.BUILD, "[not, a, map]");
        client.pods().inNamespace("shop").resource(broken).update();
        SourceSnapshot s = next(x -> !x.errors().isEmpty());
        SpecError err = s.errors().get(0);
        assertEquals("pod shop/web", err.source());
        assertEquals("metadata.annotations[kiln.io/build]", err.field());
        assertEquals("12", err.key());
        assertTrue(err.previousKept());
        assertEquals(1, s.endpoints().size(), "the last good spec stays");

        client.pods().inNamespace("shop").resource(pod("db", NODE, "70000", "198.18.0.13")).create();
        SourceSnapshot s2 = next(x -> x.errors().size() == 2);
        SpecError idErr = s2.errors().stream().filter(x -> x.source().equals("pod shop/db")).findFirst().orElseThrow();
        assertEquals("metadata.annotations[kiln.io/endpoint-id]", idErr.field());
        assertNull(idErr.key());
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

    private static Pod pod(String name, String node, String id, String ip) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName(name).withNamespace("shop")
                .addToLabels("app", name)
                .addToAnnotations(PodMapping.ENDPOINT_ID, id)
                .addToAnnotations(PodMapping.INTERFACE, "lxc-" + name)
                .addToAnnotations(PodMapping.BUILD, "{ipv6: true}")
                .endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("busybox").endContainer()
                .endSpec();
        if (ip != null) {
            b.withNewStatus().withPhase("Running").withPodIP(ip).addNewPodIP().withIp(ip).endPodIP()
                    .addNewPodIP().withIp("2001:db8::" + id).endPodIP().endStatus();
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
