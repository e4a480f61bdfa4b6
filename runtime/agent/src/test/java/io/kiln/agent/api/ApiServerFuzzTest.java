package io.kiln.agent.api;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.kiln.agent.Fixtures;
import io.kiln.agent.source.SourceSnapshot;
import io.kiln.agent.spec.DesiredState;
import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.SpecKind;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz tests of the agent's local API: {@link LocalHttpServer}'s request parsing and
 * {@link ApiServer}'s routing and JSON/YAML body parsing, driven through real sockets (the parser
 * reads from the connection), with a server started once per JVM. The contract: every complete
 * request gets one well-formed HTTP answer with a status the API documents, never 500 (the
 * handler's catch-all for an exception nothing checked for), and an incomplete one (the client
 * stops sending) is closed without an answer. Any other outcome, or an answer slower than the
 * timeout, is a finding.
 *
 * <p>{@code request}: the bytes are the whole request, sent over TCP (token and Host checks on).
 * {@code put}: the first line of the bytes is the path, the rest the body of a {@code PUT}, sent
 * over the owner-only Unix socket with a right Content-Length, so the fuzzer works on the spec
 * bodies. Seeds under {@code src/test/resources/io/kiln/agent/api/ApiServerFuzzTestInputs/<method>/}.
 */
class ApiServerFuzzTest {
    static final String TOKEN = "fuzz-token";
    private static final Set<Integer> DOCUMENTED = Set.of(200, 201, 204, 400, 401, 403, 404, 405, 409, 411, 413,
            431, 503);
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 (\\d{3}) [^\r\n]*\r\n");

    private static ApiServer server;
    private static ApiSource store;
    private static Path socket;

    private static synchronized void start() {
        if (server != null) {
            return;
        }
        try {
            Path dir = Files.createTempDirectory("kiln-api-fuzz");
            socket = dir.resolve("api.sock");
            AtomicReference<SourceSnapshot> applied = new AtomicReference<>(SourceSnapshot.empty(ApiSource.NAME));
            store = new ApiSource(null, applied::set);
            store.start();
            EndpointSpec fromDirectory = Fixtures.endpoint(7, "app", "dir");
            AgentStatus status = new AgentStatus(Instant.parse("2026-01-01T00:00:00Z"), true, 1, 1, List.of(),
                    EndpointStatus.State.READY, null, List.of());
            server = new ApiServer(new ApiServer.Options(0, TOKEN, socket), store, Fixtures.catalog(), () -> {
                List<EndpointSpec> eps = new ArrayList<>(applied.get().endpoints());
                eps.add(fromDirectory);
                return DesiredState.of(eps, applied.get().policies(), applied.get().services());
            }, () -> status, () -> AgentMetrics.cache(5, 1, 1));
            server.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                socket.toFile().delete();
                dir.toFile().delete();
            }));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "3m")
    @Timeout(10)
    void request(byte[] input) throws IOException {
        start();
        int port = server.port();
        byte[] answer;
        try (SilentCloseable allowed = BugDetectors.allowNetworkConnections(
                (host, p) -> p == port && (host.equals("127.0.0.1") || host.equals("localhost")));
             Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(8000);
            OutputStream out = s.getOutputStream();
            try {
                out.write(input);
                out.flush();
                s.shutdownOutput();
            } catch (IOException e) {
                // the server may answer (and close) before it has read everything, e.g. 431
            }
            answer = readAll(s.getInputStream());
        } finally {
            forget();
        }
        check(answer, input);
    }

    @FuzzTest(maxDuration = "3m")
    @Timeout(10)
    void put(byte[] input) throws IOException {
        start();
        int newline = indexOf(input, (byte) '\n');
        String path = new String(input, 0, newline < 0 ? input.length : newline, StandardCharsets.ISO_8859_1);
        byte[] body = newline < 0 ? new byte[0] : java.util.Arrays.copyOfRange(input, newline + 1, input.length);
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(("PUT " + path + " HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        request.writeBytes(body);
        byte[] answer;
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ByteBuffer b = ByteBuffer.wrap(request.toByteArray());
            try {
                while (b.hasRemaining()) {
                    c.write(b);
                }
                c.shutdownOutput();
            } catch (IOException e) {
                // answered (and closed) before the whole request was read
            }
            answer = readAll(java.nio.channels.Channels.newInputStream(c));
        } finally {
            forget();
        }
        check(answer, request.toByteArray());
    }

    /** One well-formed answer with a documented status, or none for a request that never ended. */
    private static void check(byte[] answer, byte[] request) {
        String text = new String(answer, StandardCharsets.ISO_8859_1);
        if (text.isEmpty()) {
            return; // incomplete request: the client stopped sending, the server closed without an answer
        }
        String shown = new String(request, StandardCharsets.ISO_8859_1);
        Matcher m = STATUS_LINE.matcher(text);
        assertTrue(m.lookingAt(), "not an HTTP answer: " + text + "\nto: " + shown);
        int status = Integer.parseInt(m.group(1));
        if (status == 100) { // the interim answer to Expect: 100-continue; the real one follows
            text = text.substring(text.indexOf("\r\n\r\n") + 4);
            m = STATUS_LINE.matcher(text);
            if (text.isEmpty()) {
                return;
            }
            assertTrue(m.lookingAt(), "not an HTTP answer after 100 Continue: " + text + "\nto: " + shown);
            status = Integer.parseInt(m.group(1));
        }
        assertNotEquals(500, status, "an internal error: " + text + "\nto: " + shown);
        assertTrue(DOCUMENTED.contains(status), "undocumented status " + status + ": " + text + "\nto: " + shown);
        int end = text.indexOf("\r\n\r\n");
        assertTrue(end > 0, "an answer without the end of its head: " + text);
        Matcher length = Pattern.compile("\r\nContent-Length: (\\d+)\r\n").matcher(text.substring(0, end + 2));
        if (length.find()) {
            assertTrue(Integer.parseInt(length.group(1)) == text.length() - end - 4,
                    "Content-Length does not match the body: " + text);
        }
    }

    /** Keeps the API's store small: what one input applied is not the next one's business. */
    private static void forget() {
        for (SpecKind k : SpecKind.values()) {
            store.all(k).forEach(s -> store.delete(k, s.key()));
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        try {
            return in.readAllBytes();
        } catch (java.net.SocketTimeoutException e) {
            throw e; // no answer in time: a finding
        } catch (IOException e) {
            return new byte[0]; // reset by the server after a refusal: no answer to check
        }
    }

    private static int indexOf(byte[] a, byte b) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
