package io.kiln.agent.fqdn;

/** A DNS message Kiln cannot learn from, with the reason in words (never the parser's stack). */
public final class DnsAnswerException extends Exception {
    public DnsAnswerException(String message) {
        super(message);
    }

    public DnsAnswerException(String message, Throwable cause) {
        super(message, cause);
    }
}
