package io.kiln.agent.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kiln.agent.spec.PolicySpec;
import io.kiln.agent.spec.ServiceSpec;
import io.kiln.agent.spec.SpecReader;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** deploy/ stays in step with the agent: the manifests are valid objects naming what the agent uses. */
class DeployManifestsTest {
    private static final Path DEPLOY = Path.of(System.getProperty("kiln.home", "..")).resolve("deploy");

    @Test
    void crdsDeclareWhatTheSourceWatches() throws Exception {
        List<CustomResourceDefinition> crds = load("crds.yaml", CustomResourceDefinition.class);
        assertEquals(2, crds.size());
        check(crds.get(0), KubernetesSource.KILN_POLICY);
        check(crds.get(1), KubernetesSource.KILN_SERVICE);
    }

    private static void check(CustomResourceDefinition crd, ResourceDefinitionContext ctx) {
        assertEquals(ctx.getPlural() + "." + ctx.getGroup(), crd.getMetadata().getName());
        assertEquals(ctx.getGroup(), crd.getSpec().getGroup());
        assertEquals(ctx.getKind(), crd.getSpec().getNames().getKind());
        assertEquals(ctx.getPlural(), crd.getSpec().getNames().getPlural());
        assertEquals("Namespaced", crd.getSpec().getScope());
        assertEquals(ctx.getVersion(), crd.getSpec().getVersions().get(0).getName());
        assertTrue(crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().containsKey("spec"));
    }

    @Test
    void theAgentMayReadWhatItWatchesAndRunsPrivilegedOnTheHost() throws Exception {
        List<HasMetadata> rbac = loadAny("rbac.yaml");
        ClusterRole role = rbac.stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast).findFirst()
                .orElseThrow();
        List<String> resources = new ArrayList<>();
        for (PolicyRule r : role.getRules()) {
            List<String> verbs = r.getResources().equals(List.of("events")) ? List.of("create", "update")
                    : List.of("get", "list", "watch");
            assertEquals(verbs, r.getVerbs(), "read what it watches; write only events");
            resources.addAll(r.getResources());
        }
        assertEquals(List.of("pods", KubernetesSource.KILN_POLICY.getPlural(), KubernetesSource.KILN_SERVICE.getPlural(),
                "events"), resources);
        ClusterRoleBinding binding = rbac.stream().filter(ClusterRoleBinding.class::isInstance)
                .map(ClusterRoleBinding.class::cast).findFirst().orElseThrow();

        DaemonSet ds = load("daemonset.yaml", DaemonSet.class).get(0);
        PodSpec pod = ds.getSpec().getTemplate().getSpec();
        assertEquals(binding.getSubjects().get(0).getName(), pod.getServiceAccountName());
        assertEquals(binding.getSubjects().get(0).getNamespace(), ds.getMetadata().getNamespace());
        assertTrue(pod.getHostNetwork());
        Container c = pod.getContainers().get(0);
        assertTrue(c.getSecurityContext().getPrivileged());
        assertEquals("spec.nodeName", c.getEnv().get(0).getValueFrom().getFieldRef().getFieldPath());
        List<String> mounts = c.getVolumeMounts().stream().map(VolumeMount::getMountPath).toList();
        assertEquals(List.of("/sys/fs/bpf", "/run/kiln", "/etc/kiln", "/run/netns"), mounts);
        assertEquals(List.of("/sys/fs/bpf", "/run/kiln", "/run/netns"), pod.getVolumes().stream().filter(v -> v.getHostPath() != null)
                .map(v -> v.getHostPath().getPath()).toList(), "host paths: pins and state outlive the agent's pod");
        ConfigMap profiles = load("profiles.yaml", ConfigMap.class).get(0);
        assertEquals(ds.getMetadata().getNamespace(), profiles.getMetadata().getNamespace());
        assertEquals(profiles.getMetadata().getName(), pod.getVolumes().get(2).getConfigMap().getName());
        String file = "/etc/kiln/" + profiles.getData().keySet().iterator().next();
        assertTrue(c.getArgs().contains("--profiles=" + file), c.getArgs().toString());
    }

    @Test
    @SuppressWarnings("unchecked")
    void examplesAreValidSpecs() throws Exception {
        GenericKubernetesResource policy = load("examples/web-policy.yaml", GenericKubernetesResource.class).get(0);
        PolicySpec p = SpecReader.kubernetesPolicy("KilnPolicy shop/web",
                (Map<String, Object>) policy.getAdditionalProperties().get("spec"), "shop/web", "shop");
        assertEquals(1, p.ingress().size());
        GenericKubernetesResource service = load("examples/web-service.yaml", GenericKubernetesResource.class).get(0);
        ServiceSpec s = SpecReader.kubernetesService("KilnService shop/web",
                (Map<String, Object>) service.getAdditionalProperties().get("spec"), "shop/web");
        assertEquals(2, s.backends().size());
        Pod pod = new PodBuilder(load("examples/web-pod.yaml", Pod.class).get(0)).editSpec().withNodeName("n1").endSpec()
                .withNewStatus().withPodIP("198.18.0.12").endStatus().build();
        Path file = Files.createTempFile("profiles", ".yaml");
        try {
            Files.writeString(file, load("profiles.yaml", ConfigMap.class).get(0).getData().get("profiles.yaml"));
            PodProfiles profiles = PodProfiles.read(file);
            assertTrue(PodMapping.isEndpoint(pod, "n1", profiles));
            PodMapping.Mapped m = PodMapping.endpoint(pod, profiles, 12);
            assertEquals(List.of(), m.refusals(), "the example asks only for what it may");
            assertEquals("ipv6", m.profile());
            assertEquals(Map.of("ipv6", true, "ctSize", 262144L), m.spec().build());
            assertEquals("cali" + PodProfiles.sha1Hex("shop.web").substring(0, 11), m.spec().interfaceName());
        } finally {
            Files.delete(file);
        }
    }

    private static <T> List<T> load(String file, Class<T> type) throws Exception {
        List<T> out = new ArrayList<>();
        for (String doc : documents(file)) {
            out.add(Serialization.unmarshal(doc, type));
        }
        return out;
    }

    private static List<HasMetadata> loadAny(String file) throws Exception {
        List<HasMetadata> out = new ArrayList<>();
        for (String doc : documents(file)) {
            out.add(Serialization.unmarshal(doc, HasMetadata.class));
        }
        return out;
    }

    private static List<String> documents(String file) throws Exception {
        List<String> out = new ArrayList<>();
        for (String d : Files.readString(DEPLOY.resolve(file)).split("(?m)^---\\s*$")) {
            if (d.lines().anyMatch(l -> l.startsWith("apiVersion:"))) {
                out.add(d);
            }
        }
        return out;
    }
}
