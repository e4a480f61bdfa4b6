package io.kiln.agent.api;

import io.kiln.agent.Fixtures;
import io.kiln.agent.source.SourceSnapshot;
import io.kiln.agent.spec.DesiredState;
import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.SpecError;
import io.kiln.agent.spec.SpecKind;
import io.kiln.agent.spec.SpecReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiServerTest {
    private static final String TOKEN = "s3cret";
    private final AtomicReference<SourceSnapshot> api = new AtomicReference<>(SourceSnapshot.empty("api"));
    /** A spec another source (the spec directory) defines. */
    private final EndpointSpec fromDirectory = Fixtures.endpoint(7, "app", "dir");
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private ApiServer server(Path dir, String token) {
        return server(dir, token, null);
    }

    private ApiServer server(Path dir, String token, Path socket) {
        return server(dir, 0, token, socket);
    }

    private ApiServer server(Path dir, int port, String token, Path socket) {
        ApiSource store = new ApiSource(dir, api::set);
        store.start();
        AgentStatus status = new AgentStatus(Instant.parse("2026-01-01T00:00:00Z"), true, 1, 1,
                List.of(new EndpointStatus(12, EndpointStatus.State.READY, null, "lxc12", "endpoint", 300,
                        Map.of("from_endpoint", 41, "to_endpoint", 42), "abc123", "CREATE",
                        Instant.parse("2026-01-01T00:00:00Z"), 12L, 0, null)),
                EndpointStatus.State.READY, null,
                List.of(new SpecError(SpecKind.ENDPOINT, "3", "e3.yaml", 4, "template", "e3.yaml:4: template: bad", true)));
        MetricsProvider metrics = () -> AgentMetrics.cache(5, 1, 1);
        ApiServer s = new ApiServer(new ApiServer.Options(port, token, socket), store, Fixtures.catalog(), () -> {
            List<EndpointSpec> eps = new ArrayList<>(api.get().endpoints());
            eps.add(fromDirectory);
            return DesiredState.of(eps, api.get().policies(), api.get().services());
        }, () -> status, metrics);
        s.start();
        toClose.add(s);
        return s;
    }

    @Test
    void flowsAreServedWithTheirQueryAndBadParametersAreRefused(@TempDir Path dir) {
        ApiServer s = server(dir, TOKEN);
        AgentClient c = new AgentClient(s.uri(), TOKEN);
        AgentApiException none = assertThrows(AgentApiException.class, () -> c.flows(Map.of()));
        assertTrue(none.getMessage().contains("without flow visibility"), none.getMessage());
        List<Map<String, String>> seen = new ArrayList<>();
        s.flows(q -> {
            if (q.containsKey("port") && !q.get("port").matches("\\d+")) {
                throw new IllegalArgumentException("port '" + q.get("port") + "': expected a number 0..65535");
            }
            seen.add(q);
            return "{\"seq\":1}\n";
        });
        java.util.Map<String, String> q = new java.util.LinkedHashMap<>();
        q.put("from", "app=web");
        q.put("since", "5m");
        assertEquals("{\"seq\":1}\n", c.flows(q));
        assertEquals(List.of(Map.of("from", "app=web", "since", "5m")), seen, "decoded as sent");
        AgentApiException bad = assertThrows(AgentApiException.class, () -> c.flows(Map.of("port", "http")));
        assertEquals(400, bad.status());
        assertEquals("agent: /v1/flows: port 'http': expected a number 0..65535", bad.getMessage());
    }

    @Test
    void appliesReadsAndDeletesSpecs(@TempDir Path dir) {
        ApiServer s = server(dir, TOKEN);
        assertEquals("127.0.0.1", s.uri().getHost());
        AgentClient c = new AgentClient(s.uri(), TOKEN);
        String yaml = Fixtures.endpointYaml(12, Map.of("app", "web"));
        String answer = c.apply(SpecKind.ENDPOINT, yaml);
        assertTrue(answer.contains("\"source\" : \"api\""), answer);
        assertEquals(1, api.get().endpoints().size());
        EndpointSpec stored = api.get().endpoints().get(0);
        assertTrue(stored.sameAs(SpecReader.endpoint("x", yaml)));

        String got = c.get(SpecKind.ENDPOINT, "12");
        assertTrue(got.contains("\"interface\" : \"lxc12\""), got);
        assertTrue(c.list(SpecKind.ENDPOINT).contains("\"id\" : 7"), "the list shows every source's endpoints");

        c.apply(SpecKind.POLICY, "name: lock\nendpointSelector: {}\ningress: []\n");
        c.apply(SpecKind.SERVICE, "name: web\nvip: 198.18.200.1\nport: 80\nbackends: [{address: 198.18.0.12, port: 80}]\n");
        assertEquals(1, api.get().policies().size());
        assertEquals(1, api.get().services().size());

        ApiSource reloaded = new ApiSource(dir, snapshot -> api.set(snapshot));
        api.set(SourceSnapshot.empty("api"));
        reloaded.start();
        assertEquals(1, api.get().endpoints().size(), "applied specs survive an agent restart");
        assertTrue(api.get().endpoints().get(0).sameAs(stored));
        assertEquals(1, api.get().policies().size());

        c.delete(SpecKind.ENDPOINT, "12");
        AgentApiException gone = assertThrows(AgentApiException.class, () -> c.get(SpecKind.ENDPOINT, "12"));
        assertEquals(404, gone.status());
    }

    @Test
    void refusesBadSpecsNamingTheField(@TempDir Path dir) {
        AgentClient c = new AgentClient(server(dir, null).uri(), null);
        String yaml = Fixtures.endpointYaml(12, Map.of("app", "web"));
        AgentApiException addr = assertThrows(AgentApiException.class,
                () -> c.apply(SpecKind.ENDPOINT, yaml.replace("198.18.0.12", "198.18.0.312")));
        assertEquals(400, addr.status());
        assertEquals("addresses.ipv4", addr.field());
        assertEquals(4, addr.line());
        assertTrue(addr.getMessage().startsWith("agent: api:4:"), addr.getMessage());
        assertTrue(addr.isUserError());

        AgentApiException template = assertThrows(AgentApiException.class,
                () -> c.apply(SpecKind.ENDPOINT, yaml.replace("template: endpoint", "template: nope")));
        assertEquals("template", template.field());
        assertTrue(template.getMessage().contains("unknown template 'nope'; known: endpoint"), template.getMessage());

        AgentApiException unknown = assertThrows(AgentApiException.class,
                () -> c.apply(SpecKind.ENDPOINT, yaml + "colour: blue\n"));
        assertEquals("colour", unknown.field());

        AgentApiException shadow = assertThrows(AgentApiException.class,
                () -> c.apply(SpecKind.ENDPOINT, Fixtures.endpointYaml(7, Map.of("app", "x"))));
        assertEquals(409, shadow.status());
        assertTrue(shadow.getMessage().contains("endpoint 7 is defined by endpoints/7.yaml; change it there"),
                shadow.getMessage());
        assertEquals(409, assertThrows(AgentApiException.class, () -> c.delete(SpecKind.ENDPOINT, "7")).status());
        assertEquals(List.of(), api.get().endpoints(), "nothing was stored");
    }

    @Test
    void mismatchedPathAndBody(@TempDir Path dir) throws Exception {
        ApiServer s = server(dir, null);
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(s.uri().resolve("/v1/endpoints/13"))
                .PUT(HttpRequest.BodyPublishers.ofString(Fixtures.endpointYaml(12, Map.of("app", "web")))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("\"field\" : \"id\""), r.body());
        HttpResponse<String> bad = HttpClient.newHttpClient().send(HttpRequest.newBuilder(s.uri().resolve("/v1/status"))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, bad.statusCode());
        assertEquals("GET", bad.headers().firstValue("Allow").orElseThrow());
        HttpResponse<String> nope = HttpClient.newHttpClient().send(HttpRequest.newBuilder(s.uri().resolve("/v1/pods"))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, nope.statusCode());
    }

    @Test
    void changesNeedTheToken(@TempDir Path dir) throws IOException {
        ApiServer s = server(dir, TOKEN);
        AgentApiException e = assertThrows(AgentApiException.class, () -> new AgentClient(s.uri(), null)
                .apply(SpecKind.ENDPOINT, Fixtures.endpointYaml(12, Map.of("app", "web"))));
        assertEquals(401, e.status());
        assertEquals(401, assertThrows(AgentApiException.class, () -> new AgentClient(s.uri(), "wrong")
                .delete(SpecKind.ENDPOINT, "12")).status());
        assertEquals(List.of(), api.get().endpoints());
        // reading needs the token too: specs and status are root's business
        AgentApiException read = assertThrows(AgentApiException.class, () -> new AgentClient(s.uri(), null).status());
        assertEquals(401, read.status());
        assertTrue(read.getMessage().contains("needs the agent's token"), read.getMessage());
        assertEquals(401, assertThrows(AgentApiException.class, () -> new AgentClient(s.uri(), "wrong").metrics()).status());
        assertEquals(401, assertThrows(AgentApiException.class,
                () -> new AgentClient(s.uri(), null).list(SpecKind.ENDPOINT)).status());
        assertEquals(1, new AgentClient(s.uri(), TOKEN).status().ready());
        // a local client reads the token file at each request: made before the agent wrote it (or
        // before a restarted agent wrote a new one), it still gets in
        Path tokenFile = dir.resolve("token");
        AgentClient early = AgentClient.local(s.port(), tokenFile);
        assertEquals(401, assertThrows(AgentApiException.class, early::status).status());
        Files.writeString(tokenFile, TOKEN + "\n");
        assertEquals(1, early.status().ready());
        // a liveness probe has no token: /healthz tells it the agent answers, and nothing else
        Raw health = raw(s, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:9842\r\n\r\n");
        assertEquals(200, health.status, health.text);
        assertTrue(health.text.endsWith("\r\n\r\nok\n"), health.text);
        assertEquals(403, raw(s, "GET /healthz HTTP/1.1\r\nHost: evil.example\r\n\r\n").status);
        assertEquals(401, raw(s, "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1:9842\r\n\r\n").status);
    }

    /** A DNS-rebinding page reaches 127.0.0.1 under its own name: only loopback names are answered. */
    @Test
    void onlyLoopbackHostNames(@TempDir Path dir) throws Exception {
        ApiServer s = server(dir, null);
        for (String host : List.of("127.0.0.1", "127.0.0.1:" + s.port(), "localhost", "LOCALHOST:9842", "[::1]",
                "[::1]:" + s.port())) {
            assertEquals(200, raw(s, "GET /v1/status HTTP/1.1\r\nHost: " + host + "\r\n\r\n").status, host);
        }
        for (String host : List.of("evil.example", "evil.example:" + s.port(), "127.0.0.1.evil.example",
                "localhost.evil.example", "[::2]:80", "10.0.0.1")) {
            Raw r = raw(s, "GET /v1/endpoints HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
            assertEquals(403, r.status, host);
            assertTrue(r.text.contains("is not a loopback name"), r.text);
            assertTrue(!r.text.contains("\"spec\""), "nothing is read");
        }
        Raw none = raw(s, "GET /v1/status HTTP/1.0\r\n\r\n");
        assertEquals(403, none.status);
        assertTrue(none.text.contains("no Host header"), none.text);
        Raw put = raw(s, "PUT /v1/endpoints/12 HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 3\r\n\r\n{}\n");
        assertEquals(403, put.status);
        assertEquals(List.of(), api.get().endpoints());
    }

    @Test
    void statusAndMetrics(@TempDir Path dir) {
        AgentClient c = new AgentClient(server(dir, null).uri(), null);
        AgentStatus st = c.status();
        assertEquals(1, st.ready());
        EndpointStatus e = st.endpoints().get(0);
        assertEquals(Map.of("from_endpoint", 41, "to_endpoint", 42), e.programIds());
        assertEquals("abc123", e.variantKey());
        assertEquals(12L, e.lastRegenerationMillis());
        assertEquals(Instant.parse("2026-01-01T00:00:00Z"), e.lastRegeneration());
        assertEquals("template", st.errors().get(0).field());
        assertTrue(st.errors().get(0).previousKept());
        String m = c.metrics();
        assertTrue(m.contains("# TYPE kiln_object_cache_hits_total counter\nkiln_object_cache_hits_total 5.0\n"), m);
    }

    /** Idle and trickling sockets must not stall anyone else's answer (issue 10: two idle sockets froze the API). */
    @Test
    void slowClientsDoNotStallOthers(@TempDir Path dir) throws Exception {
        ApiServer s = server(dir, TOKEN);
        List<Socket> slow = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        AtomicBoolean trickling = new AtomicBoolean(true);
        try {
            for (int i = 0; i < 100; i++) {
                Socket k = new Socket("127.0.0.1", s.port());
                slow.add(k);
                if (i % 5 == 0) { // every fifth sends its request one byte at a time
                    pool.submit(() -> {
                        byte[] req = "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII);
                        try {
                            for (int b = 0; trickling.get(); b = (b + 1) % req.length) {
                                k.getOutputStream().write(req[b]);
                                Thread.sleep(50);
                            }
                        } catch (IOException | InterruptedException e) {
                            // dropped by the server: what it should do
                        }
                        return null;
                    });
                }
            }
            timeStatus(new AgentClient(s.uri(), TOKEN), "TCP");

            // an idle connection is dropped after the request deadline (5 s), not held forever
            Socket idle = slow.get(1);
            idle.setSoTimeout(10_000);
            assertEquals(-1, idle.getInputStream().read(), "the server closes a connection that sends nothing");
        } finally {
            trickling.set(false);
            pool.shutdownNow();
            for (Socket k : slow) {
                k.close();
            }
        }
    }

    /** 50 status requests, each answered within 5 s (so the test cannot hang); p50/p99 printed as figures. */
    private static void timeStatus(AgentClient c, String transport) throws Exception {
        c.status(); // warm up
        long[] nanos = new long[50];
        ExecutorService one = Executors.newSingleThreadExecutor();
        try {
            for (int i = 0; i < nanos.length; i++) {
                long t0 = System.nanoTime();
                AgentStatus st = one.submit(c::status).get(5, TimeUnit.SECONDS);
                nanos[i] = System.nanoTime() - t0;
                assertEquals(1, st.ready());
            }
        } finally {
            one.shutdownNow();
        }
        Arrays.sort(nanos);
        System.out.printf("kiln status (%s) with 100 slow connections open: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                transport, nanos[24] / 1e6, nanos[(int) Math.ceil(0.99 * nanos.length) - 1] / 1e6, nanos[49] / 1e6);
    }

    @Test
    void slowClientsOnTheUnixSocketDoNotStallOthers(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("api.sock");
        server(dir.resolve("specs"), TOKEN, sock);
        List<SocketChannel> slow = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        AtomicBoolean trickling = new AtomicBoolean(true);
        try {
            for (int i = 0; i < 100; i++) {
                SocketChannel k = SocketChannel.open(UnixDomainSocketAddress.of(sock));
                slow.add(k);
                if (i % 5 == 0) {
                    pool.submit(() -> {
                        byte[] req = "GET /v1/status HTTP/1.1\r\nHost: localhost\r\n".getBytes(StandardCharsets.US_ASCII);
                        try {
                            for (int b = 0; trickling.get(); b = (b + 1) % req.length) {
                                k.write(ByteBuffer.wrap(req, b, 1));
                                Thread.sleep(50);
                            }
                        } catch (IOException | InterruptedException e) {
                            // dropped by the server
                        }
                        return null;
                    });
                }
            }
            timeStatus(AgentClient.unix(sock), "Unix socket");
        } finally {
            trickling.set(false);
            pool.shutdownNow();
            for (SocketChannel k : slow) {
                k.close();
            }
        }
    }

    @Test
    void connectionsAndSizesAreBounded(@TempDir Path dir) throws Exception {
        ApiServer s = server(dir, null);
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 256; i++) {
                held.add(new Socket("127.0.0.1", s.port()));
            }
            Thread.sleep(200); // let the server take them all
            try (Socket extra = new Socket("127.0.0.1", s.port())) {
                extra.setSoTimeout(3000);
                String answer = new String(extra.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(answer.startsWith("HTTP/1.1 503 "), answer);
                assertTrue(answer.contains("256 connections open"), answer);
            }
        } finally {
            for (Socket k : held) {
                k.close();
            }
        }
        Thread.sleep(200);
        assertEquals(431, raw(s, "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "a".repeat(20_000)
                + "\r\n\r\n").status);
        Raw big = raw(s, "PUT /v1/endpoints/12 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2000000\r\n\r\n");
        assertEquals(413, big.status);
        assertTrue(big.text.contains("body larger than 1048576 bytes"), big.text);
        assertEquals(200, raw(s, "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").status);

        // curl's Expect: 100-continue for a body over 1 KiB gets its go-ahead, then the answer
        String yaml = Fixtures.endpointYaml(12, Map.of("app", "web")) + "#" + "x".repeat(2000) + "\n";
        try (Socket k = new Socket("127.0.0.1", s.port())) {
            k.setSoTimeout(5000);
            k.getOutputStream().write(("PUT /v1/endpoints/12 HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
                    + "Content-Length: " + yaml.length() + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            byte[] go = k.getInputStream().readNBytes(25);
            assertEquals("HTTP/1.1 100 Continue\r\n\r\n", new String(go, StandardCharsets.ISO_8859_1));
            k.getOutputStream().write(yaml.getBytes(StandardCharsets.UTF_8));
            String answer = new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("HTTP/1.1 201 "), answer);
        }
    }

    private record Raw(int status, String text) {
    }

    private static Raw raw(ApiServer s, String request) throws IOException {
        try (Socket k = new Socket("127.0.0.1", s.port())) {
            k.setSoTimeout(5000);
            k.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            String text = new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Raw(Integer.parseInt(text.substring(9, 12)), text);
        }
    }

    /** The default transport: a Unix socket only its owner may use, so no token is needed there. */
    @Test
    void unixSocketIsOwnerOnly(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("api.sock");
        Files.writeString(sock, "stale"); // a killed agent's leftover is replaced
        ApiServer s = server(dir.resolve("specs"), TOKEN, sock);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
        AgentClient c = AgentClient.unix(sock);
        assertEquals(1, c.status().ready());
        assertTrue(c.metrics().contains("kiln_object_cache_hits_total 5"));
        c.apply(SpecKind.ENDPOINT, Fixtures.endpointYaml(12, Map.of("app", "web")));
        assertTrue(c.get(SpecKind.ENDPOINT, "12").contains("\"interface\" : \"lxc12\""));
        AgentApiException bad = assertThrows(AgentApiException.class,
                () -> c.apply(SpecKind.ENDPOINT, Fixtures.endpointYaml(13, Map.of("app", "web")).replace("198.18.0.13", "x")));
        assertEquals(400, bad.status());
        c.delete(SpecKind.ENDPOINT, "12");
        assertEquals(404, assertThrows(AgentApiException.class, () -> c.get(SpecKind.ENDPOINT, "12")).status());
        assertEquals(401, assertThrows(AgentApiException.class, () -> new AgentClient(s.uri(), null).status()).status(),
                "TCP still needs the token");
        s.close();
        assertTrue(!Files.exists(sock), "the socket goes with the server");
        AgentApiException gone = assertThrows(AgentApiException.class, c::status);
        assertTrue(gone.getMessage().startsWith("no agent answers at unix:" + sock), gone.getMessage());
    }

    /** Without a port, the default, the API is on its socket alone: no TCP port is opened at all. */
    @Test
    void withoutAPortOnlyTheSocketServes(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("api.sock");
        ApiServer s = server(dir.resolve("specs"), -1, null, sock);
        assertTrue(!s.tcp());
        assertEquals("the agent API does not listen on TCP", assertThrows(IllegalStateException.class, s::port)
                .getMessage());
        assertEquals(1, AgentClient.unix(sock).status().ready());
        assertEquals("neither a TCP port nor a Unix socket to serve the API on", assertThrows(
                IllegalArgumentException.class, () -> new ApiServer.Options(-1, null, null)).getMessage());
    }

    @Test
    void noAgentIsAClearError() {
        AgentClient c = new AgentClient(URI.create("http://127.0.0.1:1"), null);
        AgentApiException e = assertThrows(AgentApiException.class, c::status);
        assertTrue(e.getMessage().startsWith("no agent answers at http://127.0.0.1:1"), e.getMessage());
    }
}
