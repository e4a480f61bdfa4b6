/** The local HTTP API, its client, and the status and metrics it shows. */
package io.kiln.agent.api;
