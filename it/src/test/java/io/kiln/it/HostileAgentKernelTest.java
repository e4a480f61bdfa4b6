package io.kiln.it;

import io.kiln.agent.api.AgentClient;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.dataplane.AgentLab;
import io.kiln.agent.dataplane.EchoServers;
import io.kiln.cli.AgentProcess;
import io.kiln.cli.CliRuns;
import io.kiln.it.HostileCases.Case;
import io.kiln.it.HostileCases.Outcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.kiln.agent.dataplane.AgentLab.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input to a running node: {@code kiln agent} as its own process on the real kernel, two
 * endpoints in namespaces and a policy that admits TCP 8080 into web and nothing else. Then, one at a
 * time: requests to its local API (no token, a foreign Host, oversized, malformed, slow), spec files
 * dropped into its spec directory (bad interface names, another endpoint's veth or id, huge values,
 * a symlink to /dev/zero, a FIFO), state files that name paths outside the pin root, and agents
 * started on a store others can write or a pin root that is no bpffs. Each case gets its HTTP status
 * or exit code and a message naming the field or file, never a stack trace; after each, both
 * endpoints run the same program ids on intact hooks, TCP 8080 still passes and UDP is still
 * dropped. Skips without root or BPF, unless KILN_REQUIRE_KERNEL=1. Rows of docs/hostile-inputs.md.
 */
class HostileAgentKernelTest {
    static final String SUITE = "agent";
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final int TCP = 8080;
    private static final int UDP = 9000;
    private static final String STORE = Path.of("target", "kiln-test-store").toAbsolutePath().toString();

    @TempDir
    static Path tmp;
    private static AgentLab lab;
    private static AgentProcess agent;
    private static int port;
    private static String token;
    private static Path socket;
    private static Map<Integer, Map<String, Integer>> programs;
    private static List<Case> cases;

    @BeforeAll
    static void nodeWithAnAgent() throws Exception {
        lab = AgentLab.create(tmp, 1, 2);
        lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}"));
        lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}"));
        lab.writeSpec("policies", "web.yaml", """
                name: web
                endpointSelector: { matchLabels: { app: web } }
                ingress:
                  - fromEndpoints: [ { matchLabels: { app: client } } ]
                    toPorts: [ { port: 8080, protocol: TCP } ]
                """);
        lab.servers.tcp(lab.ns(2), TCP);
        lab.servers.udp(lab.ns(2), UDP);
        agent = AgentProcess.start(List.of("--spec-dir", lab.specDir.toString(), "--state-dir", lab.stateDir.toString(),
                "--pin-root", lab.pinRoot.toString(), "--api-port", "0", "--cache-dir", STORE));
        port = Integer.parseInt(agent.await("kiln agent: API at unix:\\S+ \\(mode 0600\\) and http://127\\.0\\.0\\.1:(\\d+)",
                WAIT));
        agent.await("ready: 2/2 endpoint", WAIT);
        socket = lab.stateDir.resolve("api.sock");
        token = Files.readString(lab.stateDir.resolve("api-token")).strip();
        programs = programIds(AgentClient.unix(socket).status());
        lab.recordPrograms(programs.values().stream().flatMap(m -> m.values().stream()).toList());
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
            if (agent != null) {
                agent.terminate(WAIT);
            }
        } finally {
            if (lab != null) {
                lab.close();
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> hostileInputToARunningNodeIsRefusedAndChangesNothing() throws Exception {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            HostileCases.check(SUITE, c);
            assertNothingChanged(c.name());
        }));
    }

    @Test
    void everyCaseIsInTheTable() throws Exception {
        HostileCases.assertDocumented(SUITE, cases());
    }

    static synchronized List<Case> cases() throws IOException {
        if (cases == null) {
            cases = List.copyOf(make());
        }
        return cases;
    }

    private static List<Case> make() throws IOException {
        List<Case> out = new ArrayList<>();
        // ---- the local API over TCP (opted into with --api-port) ----
        out.add(http("api-no-token", "`GET /v1/status` without `Authorization`", 401, "Authorization: Bearer",
                "token", "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
        out.add(http("api-wrong-token", "`GET /v1/status` with a wrong token", 401, "Authorization: Bearer", "token",
                "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer 00\r\n\r\n"));
        out.add(http("api-wrong-host", "the right token, `Host: evil.example` (DNS rebinding)", 403, "Host evil.example",
                "DNS rebinding", "GET /v1/status HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer %TOKEN%\r\n\r\n"));
        out.add(http("api-no-host", "the right token, no `Host`", 403, "Host", "no Host header",
                "GET /v1/status HTTP/1.1\r\nAuthorization: Bearer %TOKEN%\r\n\r\n"));
        out.add(http("api-oversized-body", "`PUT` announcing a 2 MiB body", 413, "body", "larger than 1048576 bytes",
                "PUT /v1/policies/web HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %TOKEN%\r\n"
                        + "Content-Length: 2097152\r\n\r\n"));
        out.add(http("api-oversized-headers", "20 KiB of headers", 431, "headers", "larger than",
                "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Junk: " + "j".repeat(20 << 10) + "\r\n\r\n"));
        out.add(http("api-malformed-json", "`PUT /v1/policies/evil` with JSON cut short", 400, "api:1:30",
                "malformed JSON: the text ends before the list opened at line 1",
                put("/v1/policies/evil", "{\"name\": \"evil\", \"ingress\": [")));
        out.add(http("api-interface-nul", "`PUT /v1/endpoints/3` with `\"interface\": \"lo\\u0000x\"`", 400,
                "interface", "not an interface name", put("/v1/endpoints/3", "{\"id\": 3, \"interface\": \"lo\\u0000x\","
                        + " \"template\": \"endpoint\", \"addresses\": {\"ipv4\": \"198.18.0.13\"}}")));
        out.add(http("api-shadow-policy", "`PUT /v1/policies/web` allowing everything (web is the spec directory's)",
                409, "policy web", "defined by", put("/v1/policies/web", "{\"name\": \"web\", \"endpointSelector\":"
                        + " {\"matchLabels\": {\"app\": \"web\"}}, \"ingress\": [{\"fromEndpoints\": [{}]}]}")));
        out.add(http("api-delete-other-source", "`DELETE /v1/policies/web` (the spec directory's)", 409, "policy web",
                "defined by", "DELETE /v1/policies/web HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %TOKEN%\r\n\r\n"));
        out.add(http("api-path-traversal", "`GET /v1/endpoints/..%2F..%2Fetc%2Fpasswd`", 404, "etc", "no endpoint",
                "GET /v1/endpoints/..%2F..%2Fetc%2Fpasswd HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %TOKEN%\r\n\r\n"));
        out.add(http("api-bad-method", "`POST /v1/status`", 405, "POST", "allowed: GET",
                "POST /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %TOKEN%\r\nContent-Length: 0\r\n\r\n"));
        out.add(http("api-not-http", "a TLS ClientHello's first bytes", 400, "request line", "bad request line",
                "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003\r\n\r\n"));
        out.add(new Case("api-slow-clients", "100 connections that send half a request line and wait", 200, "p99",
                "100 slow connections", HostileAgentKernelTest::slowClients));
        // ---- the local API over its Unix socket ----
        out.add(unix("socket-shadow-policy", "`PUT /v1/policies/web` allowing everything, over the socket", 409,
                "policy web", "defined by", put("/v1/policies/web", "name: web\nendpointSelector: {}\n"
                        + "ingress: [ { fromEndpoints: [ {} ] } ]\n").replace("Authorization: Bearer %TOKEN%\r\n", "")));
        out.add(unix("socket-unknown-field", "`PUT /v1/endpoints/3` with `colour: blue`, over the socket", 400,
                "colour", "unknown field", put("/v1/endpoints/3", "id: 3\ninterface: lxc3\ntemplate: endpoint\n"
                        + "colour: blue\n").replace("Authorization: Bearer %TOKEN%\r\n", "")));

        // ---- files in the spec directory ----
        out.add(specFile("dir-interface-nul", "an endpoint with `interface: \"lo\\0x\"`", "endpoints", "nul.yaml",
                endpoint(3, "\"lo\\0x\""), "nul.yaml:2", "not an interface name"));
        out.add(specFile("dir-interface-of-another-endpoint", "endpoint 3 on `lxc2`, endpoint 2's veth", "endpoints",
                "steal.yaml", endpoint(3, AgentLab.hostIf(2)), "steal.yaml", "lxc2"));
        out.add(specFile("dir-id-of-another-endpoint", "a second spec with web's id 2, on the client's veth",
                "endpoints", "a-steal.yaml", endpoint(2, AgentLab.hostIf(1)), "a-steal.yaml", "2"));
        out.add(specFile("dir-huge-integer", "`id:` 100,000 digits", "endpoints", "hugeid.yaml",
                endpoint(3, "lxc3").replace("id: 3", "id: " + "9".repeat(100_000)), "hugeid.yaml:1", "expected an integer"));
        out.add(specFile("dir-unknown-field", "`macaddr:` (for `mac:`)", "endpoints", "field.yaml",
                endpoint(3, "lxc3") + "macaddr: 02:00:00:00:01:03\n", "field.yaml:", "unknown field 'macaddr'"));
        out.add(specFile("dir-label-control-characters", "a label value with a terminal escape", "endpoints",
                "escape.yaml", endpoint(3, "lxc3").replace("{app: x}", "{app: \"x\\e[2J\"}"), "escape.yaml:", "labels"));
        out.add(specFile("dir-policy-huge-port", "a policy port of 100,000 digits", "policies", "port.yaml",
                "name: port\nendpointSelector: { matchLabels: { app: web } }\ningress:\n  - toPorts: [ { port: "
                        + "8".repeat(100_000) + " } ]\n", "port.yaml:4", "port"));
        out.add(new Case("dir-symlink-dev-zero", "`endpoints/zero.yaml`, a symlink to /dev/zero", 0, "zero.yaml",
                "leads to /dev/zero, outside the spec directory", () -> dropIn("endpoints", "zero.yaml", "zero.yaml",
                        f -> Files.createSymbolicLink(f, Path.of("/dev/zero")))));
        out.add(new Case("dir-fifo", "`endpoints/fifo.yaml`, a named pipe no one writes", 0, "fifo.yaml",
                "not a regular file", () -> dropIn("endpoints", "fifo.yaml", "fifo.yaml", f -> {
                    Process p = new ProcessBuilder("mkfifo", f.toString()).start();
                    assertEquals(0, p.waitFor());
                })));
        out.add(specFile("dir-not-utf8", "bytes that are not UTF-8", "endpoints", "binary.yaml",
                "id: 3\ninterface: \u00ff\u00fe\n", "binary.yaml", "UTF-8"));

        // ---- state files (kiln uninstall on a state folder of its own; the node's stays untouched) ----
        out.add(state("state-link-pin-outside-root", "`linkPin` naming a file outside the pin root", "5.json",
                stateJson(5, "%VICTIM%", "%ROOT%/endpoints/5/policy"), "5.json", "is not Kiln's pin"));
        out.add(state("state-map-pin-outside-root", "`mapPins.policy: /etc/passwd`", "5.json",
                stateJson(5, "%ROOT%/endpoints/5/links/ing", "/etc/passwd"), "5.json", "/etc/passwd"));
        out.add(state("state-garbage-json", "`{not json` as a state file", "6.json", "{not json", "6.json",
                "is not a Kiln state file (unexpected character 'n'"));

        // ---- agents started on hostile folders (their own state and pin root; they must stop at once) ----
        out.add(new Case("agent-store-writable-by-others", "`kiln agent --cache-dir D`, D of mode 0777", 1,
                "open-store", "rwxrwxrwx", () -> {
                    Path open = Files.createDirectories(tmp.resolve("open-store"));
                    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
                    return agentRun("--cache-dir", open.toString());
                }));
        out.add(new Case("agent-pin-root-not-bpffs", "`kiln agent --pin-root` a folder in /tmp", 2, "--pin-root",
                "not on a bpffs", () -> agentRun("--pin-root", Files.createDirectories(tmp.resolve("not-bpffs")).toString())));
        return out;
    }

    // ---- the checks after each case ----

    private static void assertNothingChanged(String name) throws Exception {
        AgentClient api = AgentClient.unix(socket);
        // a spec change is a new plan: the reconciler checks it (PENDING a moment) and finds nothing to do
        poll(name + ": endpoints settled", () -> api.status().endpoints().stream()
                .filter(e -> programs.containsKey(e.id())).allMatch(e -> e.state() == EndpointStatus.State.READY),
                api::statusJson);
        AgentStatus st = api.status();
        assertEquals(programs, programIds(st), name + ": the programs running changed: " + st);
        for (EndpointStatus e : st.endpoints()) {
            if (programs.containsKey(e.id())) {
                assertEquals(EndpointStatus.State.READY, e.state(), name + ": " + e);
            }
        }
        assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2), name + ": a hook lost its program");
        assertPolicyEnforced();
        assertTrue(agent.isAlive(), name + ": the agent stopped:\n" + agent.output());
    }

    private static void assertPolicyEnforced() throws Exception {
        assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP), "TCP 8080 from the client into web is allowed");
        // right after the TCP exchange (neighbour entry fresh): an echo would take under a millisecond
        assertFalse(EchoServers.udpAnsweredWithin(lab.ns(1), ip(2), UDP, 300), "UDP into web is dropped by the policy");
    }

    private static Map<Integer, Map<String, Integer>> programIds(AgentStatus st) {
        Map<Integer, Map<String, Integer>> out = new TreeMap<>();
        st.endpoints().stream().filter(e -> !e.programIds().isEmpty()).forEach(e -> out.put(e.id(), e.programIds()));
        return out;
    }

    // ---- the local API ----

    private static String put(String path, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return "PUT " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %TOKEN%\r\nContent-Length: "
                + b.length + "\r\n\r\n" + body;
    }

    private static Case http(String name, String input, int status, String place, String expected, String request) {
        return new Case(name, input, status, place, expected, () -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(request.replace("%TOKEN%", token).getBytes(StandardCharsets.UTF_8));
                return answer(s.getInputStream());
            }
        });
    }

    private static Case unix(String name, String input, int status, String place, String expected, String request) {
        return new Case(name, input, status, place, expected, () -> {
            try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
                return answer(Channels.newInputStream(ch));
            }
        });
    }

    /** The status and the body of one HTTP answer (the server closes after it). */
    private static Outcome answer(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        try {
            in.transferTo(all);
        } catch (IOException reset) {
            // a refusal may close before the client's bytes are all read: what came is the answer
        }
        String text = all.toString(StandardCharsets.UTF_8);
        if (!text.startsWith("HTTP/1.1 ")) {
            return new Outcome(0, "no HTTP answer: " + text);
        }
        int body = text.indexOf("\r\n\r\n");
        // the JSON on one line, as a table row shows it
        return new Outcome(Integer.parseInt(text.substring(9, 12)), body < 0 ? "" : text.substring(body + 4).strip()
                .replaceAll("\\s*\n\\s*", " "));
    }

    /** 100 connections stuck half way through a request line, while root asks for the status on the socket. */
    private static Outcome slowClients() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) {
                Socket s = new Socket("127.0.0.1", port);
                s.getOutputStream().write("GET /v1/sta".getBytes(StandardCharsets.US_ASCII));
                held.add(s);
            }
            AgentClient client = AgentClient.unix(socket);
            long[] millis = new long[20];
            for (int i = 0; i < millis.length; i++) {
                long t0 = System.nanoTime();
                client.status();
                millis[i] = (System.nanoTime() - t0) / 1_000_000;
            }
            Arrays.sort(millis);
            long p99 = millis[millis.length - 1];
            return new Outcome(p99 < 1000 ? 200 : 504, "kiln status answered, p50 " + millis[millis.length / 2]
                    + " ms, p99 " + p99 + " ms, with 100 slow connections open");
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    // ---- the spec directory ----

    private static String endpoint(int id, String iface) {
        return "id: " + id + "\n"
                + "interface: " + iface + "\n"
                + "namespace: " + lab.node.name() + "\n"
                + "template: endpoint\n"
                + "constants: { GATEWAY_IPV4: " + AgentLab.GATEWAY + " }\n"
                + "addresses: { ipv4: 198.18.0." + (10 + id) + " }\n"
                + "mac: \"" + AgentLab.mac(id) + "\"\n"
                + "labels: {app: x}\n";
    }

    private interface FileMaker {
        void make(Path file) throws Exception;
    }

    private static Case specFile(String name, String input, String kind, String file, String text, String place,
                                 String expected) {
        return new Case(name, input, 0, place, expected, () -> dropIn(kind, file, place,
                f -> Files.write(f, text.getBytes(name.equals("dir-not-utf8") ? StandardCharsets.ISO_8859_1
                        : StandardCharsets.UTF_8))));
    }

    /**
     * Makes {@code kind/file} in the agent's spec directory, waits until {@code kiln status} reports
     * a spec error mentioning {@code mention}, then removes the file and waits until the error is
     * gone. The outcome is {@code kiln status}'s exit code and its lines about the file.
     */
    private static Outcome dropIn(String kind, String file, String mention, FileMaker maker) throws Exception {
        Path f = lab.specDir.resolve(kind).resolve(file);
        maker.make(f);
        try {
            String[] report = new String[1];
            poll(file + " reported", () -> {
                CliRuns.Run r = CliRuns.kiln("status", "--state-dir", lab.stateDir.toString());
                report[0] = r.exit() + "\n" + r.out() + r.err();
                return errorLines(r.out(), mention).length() > 0;
            }, () -> report[0]);
            CliRuns.Run r = CliRuns.kiln("status", "--state-dir", lab.stateDir.toString());
            // the endpoint's reason and the list of specs not in effect say it alike: one line is the message
            return new Outcome(r.exit(), errorLines(r.out(), mention).lines().findFirst().orElse("") + r.err());
        } finally {
            Files.delete(f);
            poll(file + " forgotten", () -> errorLines(CliRuns.kiln("status", "--state-dir",
                    lab.stateDir.toString()).out(), mention).isEmpty(), () -> "still reported");
        }
    }

    /** Polls every 50 ms for at most 20 s (a spec file is seen within a second: kernel notifications). */
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

    /**
     * A symlink out of the spec directory is never read (it could name any file root may read); the
     * agent's log says so. The outcome is {@code kiln status}'s exit code and the agent's log line.
     */
    /** The lines of {@code kiln status} under "specs not in effect" (and endpoint reasons) that mention {@code what}. */
    private static String errorLines(String status, String what) {
        return status.lines().filter(l -> l.startsWith("  ") || l.startsWith("       ")).filter(l -> l.contains(what))
                .map(String::strip).collect(Collectors.joining("\n"));
    }

    // ---- state files ----

    private static String stateJson(int id, String linkPin, String mapPin) {
        return """
                {"format": 1, "endpointId": %d, "interface": "lo", "namespace": "host", "ifindex": 1,
                 "template": "t", "objectDigest": "%s", "constantsDigest": "%s", "createdClsact": false,
                 "programs": [{"name": "ing", "hook": "tc-ingress", "kind": "tcx", "programId": 1,
                               "linkPin": "%s", "tcHandle": 77, "tcPriority": 9}],
                 "mapPins": {"policy": "%s"}, "updated": "2026-01-01T00:00:00Z"}
                """.formatted(id, "ab".repeat(32), "cd".repeat(32), linkPin, mapPin);
    }

    /**
     * {@code kiln uninstall} of a state folder holding one crafted endpoint state file, with a pin
     * root of its own: the file it names (a victim file, /etc/passwd) must be left as it was.
     */
    private static Case state(String name, String input, String file, String json, String place, String expected) {
        return new Case(name, input, 1, place, expected, () -> {
            String dir = name + "-" + UUID.randomUUID().toString().substring(0, 6);
            Path root = Path.of("/sys/fs/bpf/kiln-hostile-" + dir);
            Path stateDir = Files.createDirectories(tmp.resolve(dir).resolve("endpoints")).getParent();
            Path victim = Files.writeString(tmp.resolve(dir).resolve("victim"), "not Kiln's\n");
            Files.writeString(stateDir.resolve("endpoints").resolve(file), json.replace("%VICTIM%", victim.toString())
                    .replace("%ROOT%", root.toString()));
            String passwd = HostileCases.sha256(Path.of("/etc/passwd"));
            try {
                CliRuns.Run r = CliRuns.kiln("uninstall", "--pin-root", root.toString(), "--state-dir", stateDir.toString());
                assertEquals("not Kiln's\n", Files.readString(victim), name + ": the victim file was touched");
                assertEquals(passwd, HostileCases.sha256(Path.of("/etc/passwd")));
                assertTrue(Files.exists(stateDir.resolve("endpoints").resolve(file)), "the state file is kept");
                return new Outcome(r.exit(), r.err());
            } finally {
                if (Files.isDirectory(root)) {
                    Files.delete(root);
                }
            }
        });
    }

    // ---- agents on hostile folders ----

    /** {@code kiln agent} with its own state folder and pin root, but for the option {@code name} set to {@code value}. */
    private static Outcome agentRun(String name, String value) throws Exception {
        String dir = "agent-" + UUID.randomUUID().toString().substring(0, 6);
        Path root = Path.of("/sys/fs/bpf/kiln-hostile-" + dir);
        Map<String, String> options = new java.util.LinkedHashMap<>(Map.of("--spec-dir", lab.specDir.toString(),
                "--state-dir", tmp.resolve(dir).toString(), "--pin-root", root.toString(), "--cache-dir", STORE));
        options.put(name, value);
        List<String> args = new ArrayList<>(List.of("--no-api"));
        options.forEach((k, v) -> args.addAll(List.of(k, v)));
        try (AgentProcess p = AgentProcess.start(args)) {
            int exit = p.awaitExit(Duration.ofSeconds(60));
            assertFalse(Files.exists(root), "no pin root was made: " + root);
            return new Outcome(exit, p.output());
        }
    }
}
