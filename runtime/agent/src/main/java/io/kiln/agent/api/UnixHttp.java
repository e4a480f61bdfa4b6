package io.kiln.agent.api;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** One HTTP/1.1 request over a Unix domain socket (the JDK's HttpClient speaks only TCP). */
final class UnixHttp {
    private static final ScheduledThreadPoolExecutor TIMER = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "kiln-api-client-timer");
        t.setDaemon(true);
        return t;
    });

    static {
        TIMER.setRemoveOnCancelPolicy(true);
    }

    private UnixHttp() {
    }

    /** @return the status code and the body (UTF-8) of the answer */
    static String[] exchange(Path socket, String method, String path, String token, String contentType, String body,
                             Duration timeout) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            // closing the channel ends a blocked connect, write or read: the whole exchange's deadline
            ScheduledFuture<?> kill = TIMER.schedule(() -> {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing is all we wanted
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
                byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
                StringBuilder h = new StringBuilder().append(method).append(' ').append(path)
                        .append(" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: ")
                        .append(b.length).append("\r\n");
                if (token != null) {
                    h.append("Authorization: Bearer ").append(token).append("\r\n");
                }
                if (contentType != null) {
                    h.append("Content-Type: ").append(contentType).append("\r\n");
                }
                ByteBuffer out = ByteBuffer.wrap(concat(h.append("\r\n").toString()
                        .getBytes(StandardCharsets.ISO_8859_1), b));
                while (out.hasRemaining()) {
                    ch.write(out);
                }
                byte[] all = Channels.newInputStream(ch).readAllBytes(); // the server closes after its answer
                return parse(all);
            } catch (java.nio.channels.AsynchronousCloseException e) {
                throw new java.net.http.HttpTimeoutException("no answer within " + timeout.toSeconds() + " s");
            } finally {
                kill.cancel(false);
            }
        }
    }

    private static String[] parse(byte[] all) throws IOException {
        String text = new String(all, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.") || text.length() < 12 || end < 0) {
            throw new IOException("not an HTTP answer");
        }
        String status = text.substring(9, 12);
        return new String[] {status, new String(all, end + 4, all.length - end - 4, StandardCharsets.UTF_8)};
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
