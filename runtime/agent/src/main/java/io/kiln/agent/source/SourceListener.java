package io.kiln.agent.source;

/** Where a source sends its snapshots. Called from the source's own thread; must not block for long. */
@FunctionalInterface
public interface SourceListener {

    void onSnapshot(SourceSnapshot snapshot);
}
