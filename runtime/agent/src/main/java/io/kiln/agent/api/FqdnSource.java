package io.kiln.agent.api;

import java.util.Map;

/** What {@code GET /v1/fqdn} serves: the names learned from DNS answers, as JSON (io.kiln.agent.fqdn). */
@FunctionalInterface
public interface FqdnSource {
    /**
     * @param query the request's query parameters ({@code endpoint}: one endpoint's entries)
     * @throws IllegalArgumentException for a bad parameter (answered with 400 and its message)
     */
    String query(Map<String, String> query);
}
