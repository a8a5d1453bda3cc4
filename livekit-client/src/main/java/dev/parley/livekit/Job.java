package dev.parley.livekit;

import java.util.function.BiConsumer;
import livekit.LivekitAgent.JobStatus;

/** A job the server assigned to this worker: one room to join as the agent. */
public final class Job {
  private final String id;
  private final String room;
  private final String roomSid;
  private final String identity;
  private final String token;
  private final String url;
  private final String metadata;
  private final BiConsumer<JobStatus, String> report;

  Job(String id, String room, String roomSid, String identity, String token, String url, String metadata,
      BiConsumer<JobStatus, String> report) {
    this.id = id;
    this.room = room;
    this.roomSid = roomSid;
    this.identity = identity;
    this.token = token;
    this.url = url;
    this.metadata = metadata;
    this.report = report;
  }

  public String id() {
    return id;
  }

  public String room() {
    return room;
  }

  public String roomSid() {
    return roomSid;
  }

  /** The agent's participant identity in the room ({@code agent-<job id>}). */
  public String identity() {
    return identity;
  }

  /** A one-hour token the server signed for this job's room and identity. */
  public String token() {
    return token;
  }

  /** Where to join: the server's URL. */
  public String url() {
    return url;
  }

  /** The dispatch's metadata (may be empty). */
  public String metadata() {
    return metadata;
  }

  /** Tells the server the agent has joined and is working. */
  public void running() {
    report.accept(JobStatus.JS_RUNNING, "");
  }

  /** The job finished well; send before leaving the room. */
  public void succeeded() {
    report.accept(JobStatus.JS_SUCCESS, "");
  }

  /** The job failed; the server may give the room to another worker. */
  public void failed(String error) {
    report.accept(JobStatus.JS_FAILED, error == null ? "failed" : error);
  }

  @Override
  public String toString() {
    return "Job[" + id + " room=" + room + "]";
  }
}
