package io.kiln.agent.spec;

import java.util.Locale;
import java.util.Optional;

/** An L4 protocol of a policy port or a service, with its IP protocol number (0 = any). */
public enum Protocol {
    ANY(0), ICMP(1), TCP(6), UDP(17);

    private final int number;

    Protocol(int number) {
        this.number = number;
    }

    /** The IP protocol number as packets carry it; 0 for {@link #ANY}. */
    public int number() {
        return number;
    }

    /** Case-insensitive: {@code tcp}, {@code TCP}. */
    public static Optional<Protocol> parse(String text) {
        try {
            return Optional.of(valueOf(text.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
