package io.kiln.agent.dataplane;

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
import io.kiln.agent.k8s.KubernetesSource;
import io.kiln.agent.k8s.PodMapping;
import io.kiln.agent.k8s.PodProfiles;
import io.kiln.agent.spec.SpecKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.kiln.agent.dataplane.AgentLab.endpoint;
import static io.kiln.agent.dataplane.AgentLab.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The local API and Kubernetes (fabric8's CRUD mock server) each drive real endpoints to ready, and traffic follows. */
class SourcesKernelTest {
    private static final int UDP = 9000;
    private static final int TCP = 8080;
    private static final String NODE = "node-1";

    @Test
    void theApiDrivesAnEndpointToReadyAndAway(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            lab.servers.udp(lab.ns(2), UDP);
            Agent agent = lab.start(lab.agent(lab.dataplane()).api(true));
            AgentClient api = AgentClient.unix(agent.apiSocket());
            api.apply(SpecKind.ENDPOINT, lab.endpointYaml(1, "{app: client}"));
            api.apply(SpecKind.ENDPOINT, lab.endpointYaml(2, "{app: web}"));
            AgentStatus st = lab.awaitReady(agent, 1, 2);
            assertEquals(2, endpoint(st, 2).programIds().size());
            assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2));
            assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP));

            api.apply(SpecKind.POLICY, """
                    name: web
                    endpointSelector: { matchLabels: { app: web } }
                    ingress: []
                    """);
            AgentLab.eventually("UDP denied by an empty ingress list", () -> !EchoServers.udpWorks(lab.ns(1), ip(2), UDP),
                    api::statusJson);
            assertEquals(endpoint(st, 2).programIds(), endpoint(lab.awaitReady(agent, 2), 2).programIds());

            api.delete(SpecKind.ENDPOINT, "2");
            AgentLab.eventually("endpoint 2 removed", () -> api.status().endpoints().stream().noneMatch(e -> e.id() == 2),
                    api::statusJson);
            assertFalse(Files.exists(lab.pinRoot.resolve("endpoints/2")), "its pins are gone");
            assertFalse(Files.exists(lab.stateDir.resolve("endpoints/2.json")), "its state file is gone");
            assertTrue(lab.hooksIntact(1), "the other endpoint runs on");
        }
    }

    @Test
    void kubernetesPodsAndKilnPoliciesDriveEndpoints(@TempDir Path tmp) throws Exception {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(List.of(crd("KilnPolicy", "kilnpolicies"), crd("KilnService", "kilnservices"))),
                false);
        server.init();
        try (KubernetesClient client = server.createClient(); AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            lab.servers.udp(lab.ns(2), UDP);
            lab.servers.tcp(lab.ns(2), TCP);
            client.pods().inNamespace("shop").resource(pod("client", 1)).create();
            client.pods().inNamespace("shop").resource(pod("web", 2)).create();
            // the lab is the CNI here: its veths are lxc1 and lxc2; ids are the agent's
            PodProfiles profiles = new PodProfiles(Map.of("default", new PodProfiles.Profile("endpoint", Map.of(),
                    Map.of("GATEWAY_IPV4", AgentLab.GATEWAY))), Map.of("shop", new PodProfiles.NamespaceRule("default",
                    java.util.Set.of())), Map.of(), p -> AgentLab.hostIf(p.getMetadata().getName().equals("client") ? 1 : 2));
            int clientId = PodMapping.preferredId("shop", "client");
            int webId = PodMapping.preferredId("shop", "web");
            Agent agent = lab.start(lab.agent(lab.dataplaneInNodeNamespace()).kubernetes(client, NODE, profiles, false));
            AgentStatus st = lab.awaitReady(agent, clientId, webId);
            assertTrue(lab.hooksIntact(clientId) && lab.hooksIntact(webId));
            assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP));

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
            assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP));
            assertEquals(endpoint(st, webId).programIds(), endpoint(lab.awaitReady(agent, webId), webId).programIds(),
                    "no reload for a policy");
        } finally {
            server.destroy();
        }
    }

    /** A Pod on this node whose host-side veth is lxcN in the node namespace (the profiles above name it). */
    private static Pod pod(String name, int id) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("shop").addToLabels("app", name)
                .addToAnnotations(PodMapping.MAC, AgentLab.mac(id))
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
