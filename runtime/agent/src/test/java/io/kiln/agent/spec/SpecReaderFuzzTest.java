package io.kiln.agent.spec;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.kiln.agent.Fixtures;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz tests of the agent's spec reader (endpoint, policy and service specs, YAML or JSON): spec
 * files, the local API and Kubernetes objects all reach it, in a root agent. The contract: any text
 * either reads as a spec or is refused with a {@link SpecException} naming the source and giving a
 * reason. A spec read is then written back by {@link SpecJson} (as the API stores it) and must
 * read again to the same spec, and an endpoint is checked against the test template catalog
 * (again a spec or a {@code SpecException}). Any other exception or error, or an input slower than
 * the timeout, is a finding.
 *
 * <p>Seeds under {@code src/test/resources/io/kiln/agent/spec/SpecReaderFuzzTestInputs/<method>/}.
 */
class SpecReaderFuzzTest {
    private static final String SOURCE = "fuzz.yaml";
    private static TemplateCatalog catalog;

    private static synchronized TemplateCatalog catalog() {
        if (catalog == null) {
            catalog = Fixtures.catalog();
        }
        return catalog;
    }

    @FuzzTest(maxDuration = "3m")
    @Timeout(5)
    void endpoint(byte[] input) {
        EndpointSpec s = (EndpointSpec) read(SpecKind.ENDPOINT, input);
        if (s != null) {
            try {
                EndpointValidator.Valid v = EndpointValidator.validate(s, catalog());
                assertEquals(s, v.spec());
            } catch (SpecException e) {
                checkRefusal(e);
            }
        }
    }

    @FuzzTest(maxDuration = "3m")
    @Timeout(5)
    void policy(byte[] input) {
        read(SpecKind.POLICY, input);
    }

    @FuzzTest(maxDuration = "3m")
    @Timeout(5)
    void service(byte[] input) {
        read(SpecKind.SERVICE, input);
    }

    /** The spec, or null when it was refused as the contract says. */
    private static Spec read(SpecKind kind, byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        SpecReader.guessKey(kind, text); // never throws: it files errors under the spec's key
        Spec s;
        try {
            s = SpecReader.read(kind, SOURCE, text);
        } catch (SpecException e) {
            checkRefusal(e);
            return null;
        }
        assertEquals(kind, s.kind());
        assertNotNull(s.key());
        String written = SpecJson.text(s);
        Spec again;
        try {
            again = SpecReader.read(kind, "stored.json", written);
        } catch (SpecException e) {
            throw new AssertionError("a spec the reader accepted does not read back from its own JSON: "
                    + e.getMessage() + "\n" + written, e);
        }
        assertEquals(written, SpecJson.text(again), "the spec changed on its way through JSON");
        assertEquals(s.key(), again.key());
        return s;
    }

    private static void checkRefusal(SpecException e) {
        assertEquals(SOURCE, e.source(), e.getMessage());
        assertTrue(e.getMessage().startsWith(SOURCE), e.getMessage());
        assertNotNull(e.reason());
        assertFalse(e.reason().isBlank(), "no reason: " + e.getMessage());
        assertTrue(e.line() >= 0 && e.column() >= 0, e.getMessage());
    }
}
