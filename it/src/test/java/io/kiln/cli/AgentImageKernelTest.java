package io.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.agent.dataplane.AgentLab;
import io.kiln.agent.dataplane.EchoServers;
import io.kiln.agent.dataplane.TieredBringUpKernelTest;
import io.kiln.bench.DisruptionProbe;
import io.kiln.bpf.BpfMap;
import io.kiln.runtime.PinLayout;
import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.kiln.agent.dataplane.AgentLab.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent's image, built by deploy/image/build-image.sh (what {@code ./kiln image} runs), run by podman
 * the way deploy/daemonset.yaml runs it ({@link AgentContainer}) and driven through its API from the host:
 * {@code kiln status} and {@code kiln endpoint|policy apply} on the socket in the state folder, /healthz
 * over TCP as the liveness probe asks. Two endpoints in the test's namespaces come up from the bundle in the
 * image (it has no clang) and UDP between them follows policy; the container stopped (SIGTERM), the
 * programs stay and traffic flows; a new container adopts them without reloading anything.
 */
class AgentImageKernelTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final int UDP = 9000;

    @Test
    void theImageRunsTheAgentAsTheDaemonSetDoesAndANewContainerAdoptsItsPrograms(@TempDir Path tmp) throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("podman", "runc");
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            buildImage();
            Files.createDirectories(lab.stateDir);
            lab.servers.udp(lab.ns(2), UDP);
            String state = lab.stateDir.toString();
            int port = freePort();
            List<String> args = List.of("--state-dir=/run/kiln", "--api-port=" + port, "--pin-root=" + lab.pinRoot);
            String suffix = UUID.randomUUID().toString().substring(0, 8);
            Map<Integer, Map<String, Integer>> programs;
            try (AgentContainer agent = AgentContainer.start("kiln-test-" + suffix, lab.stateDir, args)) {
                assertEquals("unix:/run/kiln/api.sock (mode 0600) and http://127.0.0.1:" + port
                        + " (token in /run/kiln/api-token)", agent.await("kiln agent: API at (.*)", WAIT));
                agent.await("objects from bundle", WAIT);
                assertEquals("ok", healthz(port));

                Path client = tmp.resolve("client.yaml");
                Path web = tmp.resolve("web.yaml");
                Files.writeString(client, lab.endpointYaml(1, "{app: client}"));
                Files.writeString(web, lab.endpointYaml(2, "{app: web}"));
                for (Path spec : List.of(client, web)) {
                    CliRuns.Run applied = CliRuns.kiln("endpoint", "apply", spec.toString(), "--state-dir", state);
                    assertEquals(0, applied.exit(), applied.err());
                }
                awaitReadyOnTier1(state);
                programs = programIds(state);
                programs.values().forEach(p -> lab.recordPrograms(p.values()));
                assertEquals(4, programs.values().stream().mapToInt(Map::size).sum(), programs.toString());
                assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP), "UDP from 1 to 2 without a policy");

                Path policy = tmp.resolve("web-policy.yaml");
                Files.writeString(policy, "name: web\nendpointSelector: { matchLabels: { app: web } }\ningress: []\n");
                CliRuns.Run denied = CliRuns.kiln("policy", "apply", policy.toString(), "--state-dir", state);
                assertEquals(0, denied.exit(), denied.err());
                AgentLab.eventually("UDP denied by policy", () -> !EchoServers.udpWorks(lab.ns(1), ip(2), UDP), agent::logs);
                CliRuns.Run deleted = CliRuns.kiln("policy", "delete", "web", "--state-dir", state);
                assertEquals(0, deleted.exit(), deleted.err());
                AgentLab.eventually("UDP allowed again", () -> EchoServers.udpWorks(lab.ns(1), ip(2), UDP), agent::logs);
                assertEquals(programs, programIds(state), "policy changes are map writes, no reload");

                int exit = agent.stop(Duration.ofSeconds(30));
                assertTrue(exit == 0 || exit == 143, "exit " + exit + ":\n" + agent.logs());
                assertTrue(agent.logs().contains("stopped; every program keeps running"), agent.logs());
            }
            assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2), "the programs outlive the container");
            assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP), "and traffic still flows");
            assertEquals(1, CliRuns.kiln("status", "--state-dir", state).exit(), "no agent answers");

            try (AgentContainer next = AgentContainer.start("kiln-test-" + suffix + "-2", lab.stateDir, args)) {
                next.await("adopted 2 endpoint", WAIT);
                awaitReadyOnTier1(state);
                assertEquals(programs, programIds(state), "adopted as they run: the same programs, nothing reloaded");
                assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP));
                int exit = next.stop(Duration.ofSeconds(30));
                assertTrue(exit == 0 || exit == 143, "exit " + exit + ":\n" + next.logs());
            }
            CliRuns.Run uninstall = CliRuns.kiln("uninstall", "--pin-root", lab.pinRoot.toString(), "--state-dir", state);
            assertEquals(0, uninstall.exit(), uninstall.err());
            assertTrue(uninstall.out().contains("2 endpoint(s) detached"), uninstall.out());
            assertFalse(Files.exists(lab.pinRoot), "no pin left");
        }
    }

    /** The conntrack value as the next image's template has it: one field more, 80 bytes. */
    private static final String CT_GROWN = """
            	__u64 bytes_rev;
            	__u64 upgraded_at;	/* the next image's new field: 0 in migrated entries */
            };
            KILN_ASSERT_SIZE(struct ct_entry, 80);""";

    /**
     * The DaemonSet's rolling update: the running container stops (SIGTERM; the programs stay) and a
     * container of the next image starts on the same state folder and bpffs. The next image's endpoint
     * template adds a field to the conntrack value (72 to 80 bytes); it has no clang, so its objects come
     * in a bundle made with {@code kiln bundle} and built into the image with {@code --bundle}. Across the
     * update, 50 TCP connections (a request every 50 ms) and 5,000 UDP datagrams/s from endpoint 1 to
     * endpoint 2: no connection breaks, no request fails; the node's conntrack map is migrated, its entries
     * kept, and policy still holds.
     */
    @Test
    void aRollingUpdateToAnImageWhoseConntrackValueGrewBreaksNoConnection(@TempDir Path tmp) throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("podman", "runc", "clang");
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            buildImage();
            String suffix = UUID.randomUUID().toString().substring(0, 8);
            String next = "localhost/kiln-next-test:" + suffix;
            Path templates = TieredBringUpKernelTest.copyTemplates(tmp.resolve("next-bpf"));
            Path conntrack = templates.resolve("include/kiln/conntrack.h");
            String h = Files.readString(conntrack);
            String end = """
                    	__u64 bytes_rev;
                    };
                    KILN_ASSERT_SIZE(struct ct_entry, 72);""";
            assertTrue(h.contains(end), "conntrack.h still ends struct ct_entry with bytes_rev at 72 bytes");
            Files.writeString(conntrack, h.replace(end, CT_GROWN));
            Path bundle = tmp.resolve("next-bundle");
            CliRuns.Run bundled = CliRuns.kiln("bundle", templates.resolve("endpoint").toString(), "--variant", "default",
                    "--variant", "configSource=node", "-o", bundle.toString(), "--cache-dir", tmp.resolve("cache").toString());
            assertEquals(0, bundled.exit(), bundled.out() + bundled.err());
            buildImage("--tag", next, "--out", tmp.resolve("next.oci.tar").toString(), "--templates", templates.toString(),
                    "--bundle", bundle.toString());
            try {
                Files.createDirectories(lab.stateDir);
                lab.servers.udp(lab.ns(2), UDP);
                String state = lab.stateDir.toString();
                List<String> args = List.of("--state-dir=/run/kiln", "--pin-root=" + lab.pinRoot);
                Path client = tmp.resolve("client.yaml");
                Path web = tmp.resolve("web.yaml");
                Path policy = tmp.resolve("web-policy.yaml");
                Files.writeString(client, lab.endpointYaml(1, "{app: client}"));
                Files.writeString(web, lab.endpointYaml(2, "{app: web}"));
                Files.writeString(policy, """
                        name: web
                        endpointSelector: { matchLabels: { app: web } }
                        ingress:
                          - fromEndpoints: [ { matchLabels: { app: client } } ]
                            toPorts: [ { port: %d, protocol: TCP }, { port: %d, protocol: UDP } ]
                        """.formatted(PROBE_TCP, PROBE_UDP));
                Map<Integer, Map<String, Integer>> before;
                try (AgentContainer old = AgentContainer.start("kiln-test-" + suffix, lab.stateDir, args)) {
                    old.await("objects from bundle", WAIT);
                    for (Path spec : List.of(client, web, policy)) {
                        String kind = spec == policy ? "policy" : "endpoint";
                        CliRuns.Run applied = CliRuns.kiln(kind, "apply", spec.toString(), "--state-dir", state);
                        assertEquals(0, applied.exit(), applied.err());
                    }
                    awaitReadyOnTier1(state);
                    before = programIds(state);
                    before.values().forEach(p -> lab.recordPrograms(p.values()));
                    assertEquals(72, conntrackValueSize(lab));
                    AgentLab.eventually("UDP to 9000 denied by policy", () -> !EchoServers.udpWorks(lab.ns(1), ip(2), UDP),
                            old::logs);
                    try (DisruptionProbe probe = DisruptionProbe.start(lab.ns(1).netns(), lab.ns(2).netns(), ip(2),
                            PROBE_TCP, PROBE_UDP, 50, Duration.ofMillis(50), 5000, Duration.ofSeconds(120))) {
                        Thread.sleep(1000);
                        int entries = conntrackEntries(lab);
                        probe.mark();
                        long t0 = System.nanoTime();
                        int exit = old.stop(Duration.ofSeconds(30));
                        assertTrue(exit == 0 || exit == 143, "exit " + exit + ":\n" + old.logs());
                        try (AgentContainer updated = AgentContainer.start("kiln-test-" + suffix + "-next", next,
                                lab.stateDir, args)) {
                            updated.await("adopted 2 endpoint", WAIT);
                            AgentLab.eventually("the conntrack map migrated to 80-byte values",
                                    () -> conntrackValueSize(lab) == 80, updated::logs);
                            awaitReadyOnTier1(state);
                            long updateMillis = (System.nanoTime() - t0) / 1_000_000;
                            Thread.sleep(1000);
                            DisruptionProbe.Result r = probe.stop();
                            System.out.println("AgentImageKernelTest rolling update " + AgentContainer.IMAGE + " -> " + next
                                    + " (ct_entry 72 -> 80 bytes, " + entries + " conntrack entries; old container stopped"
                                    + " to both endpoints ready on the next image " + updateMillis + " ms): " + r);
                            assertEquals(0, r.broken(), r.toString());
                            assertEquals(0, r.failed(), r.toString());
                            Map<Integer, Map<String, Integer>> after = programIds(state);
                            after.values().forEach(p -> lab.recordPrograms(p.values()));
                            assertTrue(!after.equals(before), "the next image's programs replaced the old ones: " + after);
                            assertTrue(conntrackEntries(lab) >= entries, "conntrack entries kept across the migration");
                            assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2));
                            assertFalse(EchoServers.udpWorks(lab.ns(1), ip(2), UDP), "policy still holds on the next image");
                            exit = updated.stop(Duration.ofSeconds(30));
                            assertTrue(exit == 0 || exit == 143, "exit " + exit + ":\n" + updated.logs());
                        }
                    }
                }
                CliRuns.Run uninstall = CliRuns.kiln("uninstall", "--pin-root", lab.pinRoot.toString(), "--state-dir", state);
                assertEquals(0, uninstall.exit(), uninstall.err());
            } finally {
                AgentContainer.podman(Duration.ofSeconds(60), List.of("rmi", "-f", next));
            }
        }
    }

    private static final int PROBE_TCP = 8080;
    private static final int PROBE_UDP = 9100;

    private static int conntrackValueSize(AgentLab lab) {
        try (BpfMap ct = BpfMap.openPinned(new PinLayout(lab.pinRoot).nodeMap("conntrack"))) {
            return ct.definition().valueSize();
        }
    }

    private static int conntrackEntries(AgentLab lab) {
        try (BpfMap ct = BpfMap.openPinned(new PinLayout(lab.pinRoot).nodeMap("conntrack"))) {
            return ct.keys().size();
        }
    }

    private static boolean imageBuilt;

    /** The checkout's own image, built once per run of this class. */
    private static synchronized void buildImage() throws Exception {
        if (!imageBuilt) {
            buildImage(new String[0]);
            imageBuilt = true;
        }
    }

    /** deploy/image/build-image.sh from the checkout (bounded); the CLI's jars are the reactor's. */
    private static void buildImage(String... options) throws Exception {
        Path home = Path.of(System.getProperty("kiln.home", "..")).toAbsolutePath().normalize();
        Path out = Files.createTempFile("kiln-image-build", ".log");
        try {
            List<String> command = new java.util.ArrayList<>(List.of("bash", home.resolve("deploy/image/build-image.sh").toString()));
            command.addAll(List.of(options));
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(6, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("the image build took more than 6 minutes:\n" + Files.readString(out));
            }
            assertEquals(0, p.exitValue(), "deploy/image/build-image.sh:\n" + Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String healthz(int port) throws Exception {
        HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).timeout(Duration.ofSeconds(5))
                        .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body().strip();
    }

    private static JsonNode status(String state) throws Exception {
        CliRuns.Run r = CliRuns.kiln("status", "--json", "--state-dir", state);
        assertEquals(0, r.exit(), r.err());
        return new ObjectMapper().readTree(r.out());
    }

    /** Both endpoints ready on their specialized programs (tier 1: from the bundle, the image has no clang). */
    private static void awaitReadyOnTier1(String state) throws Exception {
        AgentLab.eventually("endpoints 1 and 2 ready on tier 1", () -> {
            Map<Integer, String> seen = new TreeMap<>();
            status(state).get("endpoints").forEach(e -> seen.put(e.get("id").asInt(),
                    e.get("state").asText().toUpperCase(java.util.Locale.ROOT) + "/" + (e.hasNonNull("tier") ? e.get("tier").asInt() : -1)));
            return seen.equals(Map.of(1, "READY/1", 2, "READY/1"));
        }, () -> status(state).toString());
    }

    /** Endpoint id → program name → program id (names sorted: the JSON object's order is not part of the API). */
    private static Map<Integer, Map<String, Integer>> programIds(String state) throws Exception {
        Map<Integer, Map<String, Integer>> ids = new TreeMap<>();
        status(state).get("endpoints").forEach(e -> {
            Map<String, Integer> byName = new TreeMap<>();
            e.get("programIds").properties().forEach(f -> byName.put(f.getKey(), f.getValue().asInt()));
            ids.put(e.get("id").asInt(), byName);
        });
        return ids;
    }
}
