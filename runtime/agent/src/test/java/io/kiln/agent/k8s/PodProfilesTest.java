package io.kiln.agent.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.kiln.agent.spec.SpecException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operator's profiles file: what it may say, and the one-line errors when it says something else. */
class PodProfilesTest {
    @TempDir
    Path dir;

    private PodProfiles read(String yaml) throws Exception {
        Path f = dir.resolve("profiles.yaml");
        Files.writeString(f, yaml);
        return PodProfiles.read(f);
    }

    private void refused(String yaml, String message) throws Exception {
        SpecException e = assertThrows(SpecException.class, () -> read(yaml));
        assertEquals(dir.resolve("profiles.yaml") + ": " + message, e.getMessage());
    }

    @Test
    void aProfileChainsGuardsThatAPodCannotChange() throws Exception {
        PodProfiles p = read("""
                profiles:
                  default: { template: endpoint }
                  guarded:
                    template: endpoint
                    chain: [ { template: syn_guard, constants: { SYN_BUDGET: 100 } } ]
                namespaces:
                  shop: { default: guarded }
                """);
        Pod pod = new PodBuilder().withNewMetadata().withNamespace("shop").withName("web").endMetadata()
                .withNewSpec().withNodeName("n1").endSpec().withNewStatus().withPodIP("198.18.0.12").endStatus().build();
        io.kiln.agent.spec.EndpointSpec e = PodMapping.endpoint(pod, p, 12).spec();
        assertEquals(1, e.chain().size());
        assertEquals("syn_guard", e.chain().get(0).template());
        assertEquals(Map.of("SYN_BUDGET", 100L), e.chain().get(0).constants());

        PodProfiles bad = read("""
                profiles:
                  default: { template: endpoint, chain: [ { template: syn_guard, hook: xdp } ] }
                namespaces:
                  shop: { default: default }
                """);
        SpecException err = assertThrows(SpecException.class, () -> PodMapping.endpoint(pod, bad, 12));
        assertTrue(err.getMessage().contains("(profile default) chain[0].hook"), err.getMessage());
        refused("""
                profiles:
                  default: { template: endpoint, chain: { template: syn_guard } }
                namespaces:
                  shop: { default: default }
                """, "profiles.default.chain: expected a list, got '{template=syn_guard}'");
    }

    @Test
    void aValidFile() throws Exception {
        PodProfiles p = read("""
                interfacePrefix: cali
                nodeBuild: { ctSize: 262144 }
                profiles:
                  default: { template: endpoint }
                  ipv6: { build: { ipv6: true }, constants: { GATEWAY_IPV4: 198.18.0.1 } }
                namespaces:
                  shop: { default: default, allowed: [ipv6] }
                """);
        assertEquals(Set.of("default", "ipv6"), p.rule("shop").orElseThrow().allowed());
        assertEquals("default", p.rule("shop").orElseThrow().defaultProfile());
        assertTrue(p.rule("kube-system").isEmpty(), "no \"*\": other namespaces have no endpoints");
        assertEquals(Map.of("ipv6", true), p.profile("ipv6").build());
        assertEquals("endpoint", p.profile("ipv6").template());
        assertEquals(Map.of("ctSize", 262144), p.nodeBuild());
        Pod pod = new PodBuilder().withNewMetadata().withNamespace("shop").withName("web").endMetadata()
                .withNewSpec().withNodeName("n1").endSpec().withNewStatus().withPodIP("198.18.0.12").endStatus().build();
        assertEquals("cali551b05c3e54", p.interfaceOf(pod));
        assertTrue(PodMapping.isEndpoint(pod, "n1", p));
        pod.getMetadata().setNamespace("other");
        assertFalse(PodMapping.isEndpoint(pod, "n1", p));
    }

    @Test
    void nodeWideSizesAreNotAProfilesToSet() throws Exception {
        refused("""
                profiles:
                  big: { build: { ctSize: 4194304 } }
                namespaces: {}
                """, "profiles.big.build.ctSize: 'ctSize' is node-wide: every endpoint of the node shares it;"
                + " set it under nodeBuild");
        refused("""
                nodeBuild: { ipv6: true }
                profiles: { default: {} }
                namespaces: {}
                """, "nodeBuild.ipv6: 'ipv6' is not node-wide (nodeWide: [ctSize]); set it in a profile's build");
        // the operator may say a parameter is not node-wide on this cluster
        assertEquals(Map.of("ctSize", 2048), read("""
                nodeWide: []
                profiles: { small: { build: { ctSize: 2048 } } }
                namespaces: {}
                """).profile("small").build());
    }

    @Test
    void mistakesAreOneLineErrorsNamingTheField() throws Exception {
        refused("""
                profiles: { default: {} }
                namespaces: { shop: { default: fast } }
                """, "namespaces.shop: unknown profile 'fast'; known: default");
        refused("""
                profiles: { default: { tempalte: endpoint } }
                namespaces: {}
                """, "profiles.default.tempalte: unknown field 'tempalte'; allowed: template, build, constants, chain");
        refused("""
                profiles: { default: {} }
                namespaces: { shop: { allowed: [default] } }
                """, "namespaces.shop.default: missing: the profile of Pods that select none");
        refused("""
                interfacePrefix: toolong
                profiles: { default: {} }
                namespaces: {}
                """, "interfacePrefix: expected 1 to 4 lower-case letters or digits (the name is at most 15 characters),"
                + " got 'toolong'");
        refused("profiles: {}\nnamespaces: {}\n", "profiles: expected at least one profile");
    }
}
