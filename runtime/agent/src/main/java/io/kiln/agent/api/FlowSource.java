package io.kiln.agent.api;

import java.util.Map;

/** What {@code GET /v1/flows} serves: recent flow records, one JSON object a line (io.kiln.agent.flow). */
@FunctionalInterface
public interface FlowSource {
    /**
     * @param query the request's query parameters
     * @throws IllegalArgumentException for a bad parameter (answered with 400 and its message)
     */
    String query(Map<String, String> query) throws InterruptedException;
}
