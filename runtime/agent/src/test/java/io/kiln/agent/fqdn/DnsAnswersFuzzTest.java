package io.kiln.agent.fqdn;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.kiln.agent.spec.FqdnSelector;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DNS answers an endpoint receives are written by whoever answers it: every byte string either
 * reads as an answer, whose learned names all lie on the question's chain and whose entries a cache
 * takes within its bounds, or is refused with a {@link DnsAnswerException} of one short line. Any
 * other exception, or an input slower than the timeout, is a finding. Replays the seeds under
 * {@code src/test/resources/io/kiln/agent/fqdn/DnsAnswersFuzzTestInputs/parse/} in every build;
 * {@code JAZZER_FUZZ=1} fuzzes.
 */
class DnsAnswersFuzzTest {
    private static final List<FqdnSelector> ALL = List.of(FqdnSelector.pattern("*"));

    @FuzzTest(maxDuration = "3m")
    @Timeout(5)
    void parse(byte[] input) {
        DnsAnswer a;
        try {
            a = DnsAnswers.parse(input);
        } catch (DnsAnswerException e) {
            assertTrue(e.getMessage() != null && e.getMessage().length() < 400 && !e.getMessage().contains("\n"),
                    e.getMessage());
            return;
        }
        assertTrue(a.chain().size() <= DnsAnswers.MAX_CHAIN && a.chain().get(0).equals(a.question()), a.toString());
        assertTrue(a.learned().stream().allMatch(l -> a.chain().contains(l.name()) && l.ttlSeconds() >= 0),
                a.toString());
        FqdnCache cache = new FqdnCache(Duration.ofSeconds(1), 8, 16);
        cache.learn(1, a, ALL, Instant.EPOCH);
        cache.learn(2, a, ALL, Instant.EPOCH);
        cache.learn(3, a, ALL, Instant.EPOCH);
        assertTrue(cache.size() <= 16, "bounded: " + cache.size());
    }
}
