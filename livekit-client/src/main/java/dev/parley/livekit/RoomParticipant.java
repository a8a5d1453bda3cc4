package dev.parley.livekit;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.RTCDataChannel;
import dev.onvoid.webrtc.RTCDataChannelBuffer;
import dev.onvoid.webrtc.RTCDataChannelInit;
import dev.onvoid.webrtc.RTCDataChannelObserver;
import dev.onvoid.webrtc.RTCDataChannelState;
import dev.onvoid.webrtc.RTCIceCandidate;
import dev.onvoid.webrtc.RTCPeerConnectionState;
import dev.onvoid.webrtc.media.audio.HeadlessAudioDeviceModule;
import dev.parley.livekit.internal.BinaryWebSocket;
import dev.parley.livekit.internal.PeerTransport;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import livekit.LivekitModels.DataPacket;
import livekit.LivekitModels.ParticipantInfo;
import livekit.LivekitModels.UserPacket;
import livekit.LivekitRtc.JoinResponse;
import livekit.LivekitRtc.LeaveRequest;
import livekit.LivekitRtc.Ping;
import livekit.LivekitRtc.SessionDescription;
import livekit.LivekitRtc.SignalRequest;
import livekit.LivekitRtc.SignalResponse;
import livekit.LivekitRtc.SignalTarget;
import livekit.LivekitRtc.TrickleRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A participant in a LiveKit room over the v0 signal protocol ({@code /rtc}): two peer connections
 * (publisher, which offers, and subscriber, which answers the server), trickle ICE, reliable data
 * messages on a topic, participant tracking, ping, and a clean leave.
 */
public final class RoomParticipant implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RoomParticipant.class);
  private static final int PROTOCOL = 17;
  private static volatile PeerConnectionFactory factory;
  private static HeadlessAudioDeviceModule audioDevice;

  private final RoomListener listener;
  private final boolean loopbackOnly;
  private volatile java.util.function.Predicate<Participant> hear;
  private final Set<String> requestedTracks = ConcurrentHashMap.newKeySet();
  private final Set<String> receivedTracks = ConcurrentHashMap.newKeySet();
  private final Map<String, ParticipantInfo> participants = new ConcurrentHashMap<>();
  private final Set<String> seenPackets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger sequence = new AtomicInteger();
  private final AtomicInteger offerId = new AtomicInteger();
  private final CompletableFuture<JoinResponse> joined = new CompletableFuture<>();
  private final CompletableFuture<Void> reliableOpen = new CompletableFuture<>();
  private final ScheduledExecutorService events = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "livekit-room");
    t.setDaemon(true);
    return t;
  });
  private BinaryWebSocket signal;
  private PeerTransport publisher;
  private PeerTransport subscriber;
  private RTCDataChannel reliable;
  private volatile String identity;
  private volatile boolean closed;
  /** Set once {@link #join} has returned it: a failed join attempt does not tell the listener it left. */
  private volatile boolean inRoom;

  private RoomParticipant(RoomListener listener, boolean loopbackOnly) {
    this.listener = listener;
    this.loopbackOnly = loopbackOnly;
  }

  /**
   * Joins the room the token grants and waits until data can be sent. {@code loopbackOnly} keeps
   * ICE on 127.0.0.1 (tests and the one-machine stack).
   */
  public static RoomParticipant join(String url, String token, RoomListener listener, boolean loopbackOnly,
      Duration timeout) {
    return join(url, token, listener, loopbackOnly, timeout, null);
  }

  /**
   * Joins like {@link #join(String, String, RoomListener, boolean, Duration)}, but subscribes only to the
   * audio of participants {@code hear} accepts (null: everyone's, as LiveKit's auto-subscribe does), so
   * for example an agent never receives another agent's voice.
   */
  public static RoomParticipant join(String url, String token, RoomListener listener, boolean loopbackOnly,
      Duration timeout, java.util.function.Predicate<Participant> hear) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long attemptNanos = Math.max(timeout.toNanos() / JOIN_ATTEMPTS, MIN_ATTEMPT.toNanos());
    for (int attempt = 1; ; attempt++) {
      RoomParticipant participant = new RoomParticipant(listener, loopbackOnly);
      participant.hear = hear;
      long left = deadline - System.nanoTime();
      boolean last = attempt >= JOIN_ATTEMPTS || left <= attemptNanos + MIN_ATTEMPT.toNanos();
      long wait = last ? Math.max(left, 0) : attemptNanos;
      long until = System.nanoTime() + wait;
      try {
        participant.connect(url, token);
        participant.joined.get(wait, TimeUnit.NANOSECONDS);
        participant.reliableOpen.get(Math.max(until - System.nanoTime(), 0), TimeUnit.NANOSECONDS);
        participant.inRoom = true;
        if (participant.closed) { // lost between opening and now: nobody has been told, so join again
          throw new IllegalStateException("the peer connection closed right after joining");
        }
        return participant;
      } catch (Exception e) {
        participant.close();
        Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        if (last || !retryable(cause)) {
          throw new IllegalStateException("cannot join the room at " + url + ": " + cause
              + (attempt > 1 ? " (attempt " + attempt + ")" : ""), cause);
        }
        // As LiveKit's own SDKs do: a connection that failed or stalled while joining is dropped and the
        // join made again from the start (the server replaces the half-joined participant of the same identity).
        log.warn("joining {} failed ({}); joining again (attempt {} of {})", url, cause, attempt + 1, JOIN_ATTEMPTS);
      }
    }
  }

  private static final int JOIN_ATTEMPTS = 3;
  private static final Duration MIN_ATTEMPT = Duration.ofSeconds(4);

  /** A peer connection that failed or never opened is worth another join; a refused token or URL is not. */
  private static boolean retryable(Throwable cause) {
    return cause instanceof java.util.concurrent.TimeoutException
        || (cause instanceof IllegalStateException && String.valueOf(cause.getMessage()).contains("peer connection"));
  }

  public String identity() {
    return identity;
  }

  /** The room's name and metadata, as the join response gave them. */
  public String roomName() {
    return joined.getNow(null) == null ? null : joined.getNow(null).getRoom().getName();
  }

  public String roomMetadata() {
    return joined.getNow(null) == null ? "" : joined.getNow(null).getRoom().getMetadata();
  }

  public String roomSid() {
    return joined.getNow(null) == null ? "" : joined.getNow(null).getRoom().getSid();
  }

  /** Metadata and attributes of a participant in the room, or null. */
  public Participant participant(String identity) {
    ParticipantInfo info = participants.get(identity);
    return info == null ? null : Participant.of(info);
  }

  /** Other participants now in the room, by identity. */
  public Set<String> participants() {
    return Set.copyOf(participants.keySet());
  }

  /** Sends a reliable data message on {@code topic} to everyone (or to the given identities). */
  public void sendData(String topic, byte[] payload, String... destinations) {
    if (payload.length > 15_000) {
      throw new IllegalArgumentException("data message of " + payload.length + " bytes: keep it under 15 kB");
    }
    DataPacket.Builder packet = DataPacket.newBuilder().setKind(DataPacket.Kind.RELIABLE)
        .setSequence(sequence.incrementAndGet())
        .setUser(UserPacket.newBuilder().setTopic(topic).setPayload(ByteString.copyFrom(payload)));
    for (String destination : destinations) {
      packet.addDestinationIdentities(destination);
    }
    try {
      reliable.send(new RTCDataChannelBuffer(ByteBuffer.wrap(packet.build().toByteArray()), true));
    } catch (Exception e) {
      throw new IllegalStateException("cannot send a data message: " + e.getMessage(), e);
    }
  }

  private void connect(String url, String token) {
    String query = "?access_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8) + "&protocol=" + PROTOCOL
        + "&sdk=cpp&version=0.1.0&os=linux&auto_subscribe=" + (hear == null ? 1 : 0) + "&adaptive_stream=0";
    signal = BinaryWebSocket.open(URI.create(url.replaceAll("/+$", "") + "/rtc" + query), Map.of(),
        bytes -> later(() -> onSignal(bytes)), reason -> later(() -> disconnected(reason)));
  }

  private void onSignal(byte[] bytes) {
    SignalResponse response;
    try {
      response = SignalResponse.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      log.warn("unreadable signal message: {}", e.getMessage());
      return;
    }
    switch (response.getMessageCase()) {
      case JOIN -> onJoin(response.getJoin());
      case ANSWER -> {
        if (response.getAnswer().getId() == 0 || response.getAnswer().getId() == offerId.get()) {
          publisher.accept(response.getAnswer().getSdp()).whenComplete((v, e) -> negotiated.complete(null));
        }
      }
      case TRACK_PUBLISHED -> {
        CompletableFuture<String> waiting = pendingTracks.remove(response.getTrackPublished().getCid());
        if (waiting != null) {
          waiting.complete(response.getTrackPublished().getTrack().getSid());
        }
      }
      case OFFER -> subscriber.answer(response.getOffer().getSdp()).thenAccept(sdp -> send(SignalRequest.newBuilder()
          .setAnswer(SessionDescription.newBuilder().setType("answer").setSdp(sdp).setId(response.getOffer().getId()))
          .build()));
      case TRICKLE -> {
        RTCIceCandidate candidate = Candidates.parse(response.getTrickle().getCandidateInit());
        if (candidate != null) {
          (response.getTrickle().getTarget() == SignalTarget.PUBLISHER ? publisher : subscriber)
              .addRemoteCandidate(candidate);
        }
      }
      case UPDATE -> response.getUpdate().getParticipantsList().forEach(this::onParticipant);
      case LEAVE -> disconnected("the server asked us to leave (" + response.getLeave().getReason() + ")");
      default -> { } // speakers, quality, pong, refresh token and others are not needed here
    }
  }

  private void onJoin(JoinResponse join) {
    identity = join.getParticipant().getIdentity();
    join.getOtherParticipantsList().forEach(this::onParticipant);
    PeerConnectionFactory peers = factory();
    subscriber = new PeerTransport(peers, loopbackOnly, c -> trickle(c, SignalTarget.SUBSCRIBER), this::watch,
        state -> connectionState("subscriber", state));
    subscriber.onTrack(this::subscribed);
    publisher = new PeerTransport(peers, loopbackOnly, c -> trickle(c, SignalTarget.PUBLISHER), this::watch,
        state -> connectionState("publisher", state));
    RTCDataChannelInit ordered = new RTCDataChannelInit();
    ordered.ordered = true;
    reliable = publisher.connection().createDataChannel("_reliable", ordered);
    RTCDataChannelInit lossy = new RTCDataChannelInit();
    lossy.ordered = false;
    lossy.maxRetransmits = 0;
    watch(reliable);
    watch(publisher.connection().createDataChannel("_lossy", lossy));
    negotiatePublisher();
    int interval = Math.max(1, join.getPingInterval());
    events.scheduleAtFixedRate(() -> send(SignalRequest.newBuilder().setPingReq(Ping.newBuilder()
        .setTimestamp(System.currentTimeMillis())).build()), interval, interval, TimeUnit.SECONDS);
    joined.complete(join);
  }

  private final Map<String, CompletableFuture<String>> pendingTracks = new ConcurrentHashMap<>();
  private CompletableFuture<Void> negotiated = CompletableFuture.completedFuture(null);

  /** Offers on the publisher connection, one negotiation at a time. */
  private void negotiatePublisher() {
    CompletableFuture<Void> previous = negotiated;
    CompletableFuture<Void> next = new CompletableFuture<>();
    negotiated = next;
    previous.whenComplete((v, e) -> later(() -> publisher.offer().thenAccept(sdp -> send(SignalRequest
        .newBuilder().setOffer(SessionDescription.newBuilder().setType("offer").setSdp(sdp)
            .setId(offerId.incrementAndGet())).build()))));
  }

  /**
   * Publishes a microphone track fed with PCM (48 kHz mono 16-bit); returns once the server has
   * accepted it and the publisher connection carries it.
   */
  public AudioPublication publishAudio(String name, Duration timeout) {
    String cid = "parley-" + name + "-" + System.nanoTime();
    dev.onvoid.webrtc.media.audio.CustomAudioSource source = new dev.onvoid.webrtc.media.audio.CustomAudioSource();
    dev.onvoid.webrtc.media.audio.AudioTrack track = factory().createAudioTrack(cid, source);
    CompletableFuture<String> published = new CompletableFuture<>();
    pendingTracks.put(cid, published);
    send(SignalRequest.newBuilder().setAddTrack(livekit.LivekitRtc.AddTrackRequest.newBuilder().setCid(cid)
        .setName(name).setType(livekit.LivekitModels.TrackType.AUDIO)
        .setSource(livekit.LivekitModels.TrackSource.MICROPHONE).setDisableDtx(true).setDisableRed(true)).build());
    try {
      String sid = published.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      // A new send stream makes libwebrtc start the shared audio device's recording, whose thread then
      // feeds every send stream of this process, racing the publications' own pushing threads (libwebrtc
      // aborts the process on that race). So every publication in the process stops pushing until the
      // recording has been stopped again.
      AudioPublication.GATE.writeLock().lock();
      try {
        CompletableFuture<CompletableFuture<Void>> added = new CompletableFuture<>();
        later(() -> {
          dev.onvoid.webrtc.RTCRtpTransceiverInit init = new dev.onvoid.webrtc.RTCRtpTransceiverInit();
          init.direction = dev.onvoid.webrtc.RTCRtpTransceiverDirection.SEND_ONLY;
          init.streamIds = java.util.List.of(cid);
          publisher.connection().addTransceiver(track, init);
          negotiatePublisher();
          added.complete(negotiated);
        });
        added.get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        Thread.sleep(50);
        synchronized (RoomParticipant.class) {
          audioDevice.stopRecording();
        }
      } finally {
        AudioPublication.GATE.writeLock().unlock();
      }
      return new AudioPublication(source, sid);
    } catch (Exception e) {
      throw new IllegalStateException("cannot publish audio track '" + name + "': " + e, e);
    }
  }

  private void subscribed(dev.onvoid.webrtc.RTCRtpTransceiver transceiver) {
    if (!(transceiver.getReceiver().getTrack() instanceof dev.onvoid.webrtc.media.audio.AudioTrack audio)) {
      return;
    }
    String trackSid = audio.getId();
    receivedTracks.add(trackSid);
    log.info("{}: receiving audio track {}", identity, trackSid);
    // The participant update naming this track may arrive after the track itself: look it up until found.
    java.util.concurrent.atomic.AtomicReference<String> owner = new java.util.concurrent.atomic.AtomicReference<>("");
    audio.addSink((data, bitsPerSample, sampleRate, channels, frames) -> {
      if (owner.get().isEmpty()) {
        owner.set(participants.values().stream()
            .filter(p -> p.getTracksList().stream().anyMatch(t -> t.getSid().equals(trackSid)))
            .map(ParticipantInfo::getIdentity).findFirst().orElse(""));
      }
      byte[] copy = java.util.Arrays.copyOf(data, frames * channels * bitsPerSample / 8);
      listener.onAudio(owner.get(), trackSid, copy, sampleRate, channels);
    });
  }

  private void onParticipant(ParticipantInfo info) {
    if (info.getIdentity().equals(identity)) {
      return;
    }
    if (info.getState() == ParticipantInfo.State.DISCONNECTED) {
      if (participants.remove(info.getIdentity()) != null) {
        listener.onParticipantLeft(info.getIdentity());
      }
    } else {
      if (participants.put(info.getIdentity(), info) == null) {
        listener.onParticipantJoined(info.getIdentity(), info.getMetadata());
      }
      subscribeWanted(info);
    }
  }

  /** Without auto-subscribe: asks for each audio track of a participant we want to hear, once. */
  private void subscribeWanted(ParticipantInfo info) {
    if (hear == null || !hear.test(Participant.of(info))) {
      return;
    }
    for (livekit.LivekitModels.TrackInfo track : info.getTracksList()) {
      if (track.getType() == livekit.LivekitModels.TrackType.AUDIO && requestedTracks.add(track.getSid())) {
        log.info("{}: subscribing to {}'s audio track {}", identity, info.getIdentity(), track.getSid());
        requestTrack(info.getIdentity(), track.getSid(), 1);
      }
    }
  }

  /**
   * Asks the server for a track, and asks again while it has not arrived: a request that reaches the
   * server while the publisher is still setting the track up is dropped there without a word.
   */
  private void requestTrack(String owner, String trackSid, int attempt) {
    if (closed || receivedTracks.contains(trackSid) || !participants.containsKey(owner)) {
      return;
    }
    if (attempt > 1) {
      log.warn("{}: {}'s audio track {} has not arrived; asking again (attempt {})", identity, owner, trackSid,
          attempt);
    }
    send(SignalRequest.newBuilder().setSubscription(livekit.LivekitRtc.UpdateSubscription.newBuilder()
        .addTrackSids(trackSid).setSubscribe(true)).build());
    if (attempt < SUBSCRIBE_ATTEMPTS) {
      try {
        events.schedule(() -> requestTrack(owner, trackSid, attempt + 1), SUBSCRIBE_RETRY_MS, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException closing) {
        // left the room meanwhile
      }
    }
  }

  private static final int SUBSCRIBE_ATTEMPTS = 10;
  private static final long SUBSCRIBE_RETRY_MS = 2000;

  private void watch(RTCDataChannel channel) {
    channel.registerObserver(new RTCDataChannelObserver() {
      @Override
      public void onBufferedAmountChange(long previousAmount) { }

      @Override
      public void onStateChange() {
        if (channel == reliable && channel.getState() == RTCDataChannelState.OPEN) {
          reliableOpen.complete(null);
        }
      }

      @Override
      public void onMessage(RTCDataChannelBuffer buffer) {
        byte[] bytes = new byte[buffer.data.remaining()];
        buffer.data.get(bytes);
        later(() -> onData(bytes));
      }
    });
  }

  private void onData(byte[] bytes) {
    try {
      DataPacket packet = DataPacket.parseFrom(bytes);
      if (!packet.hasUser()) {
        return;
      }
      if (packet.getSequence() > 0 && !seenPackets.add(packet.getParticipantSid() + "/" + packet.getSequence())) {
        return; // the same packet on both connections
      }
      listener.onData(packet.getParticipantIdentity(), packet.getUser().getTopic(),
          packet.getUser().getPayload().toByteArray());
    } catch (InvalidProtocolBufferException e) {
      log.warn("unreadable data packet: {}", e.getMessage());
    }
  }

  private void trickle(RTCIceCandidate candidate, SignalTarget target) {
    send(SignalRequest.newBuilder().setTrickle(TrickleRequest.newBuilder().setTarget(target)
        .setCandidateInit(Candidates.toJson(candidate))).build());
  }

  private void connectionState(String which, RTCPeerConnectionState state) {
    if (state == RTCPeerConnectionState.CONNECTED || state == RTCPeerConnectionState.FAILED
        || state == RTCPeerConnectionState.DISCONNECTED) {
      log.info("{}: {} peer connection {}", identity, which, state);
    } else {
      log.debug("{}: {} peer connection {}", identity, which, state);
    }
    if (state == RTCPeerConnectionState.FAILED) { // on libwebrtc's thread: later() drops it if already closed
      later(() -> disconnected(which + " peer connection failed"));
    }
  }

  private void send(SignalRequest request) {
    BinaryWebSocket current = signal;
    if (current != null) {
      current.send(request.toByteArray());
    }
  }

  private void disconnected(String reason) {
    if (closed) {
      return;
    }
    closed = true;
    log.info("{}: disconnected from the room: {}", identity, reason);
    joined.completeExceptionally(new IllegalStateException(reason));
    reliableOpen.completeExceptionally(new IllegalStateException(reason));
    shutdown();
    if (inRoom) {
      listener.onDisconnected(reason);
    }
  }

  /** Leaves the room cleanly. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    send(SignalRequest.newBuilder().setLeave(LeaveRequest.newBuilder()
        .setReason(livekit.LivekitModels.DisconnectReason.CLIENT_INITIATED)
        .setAction(LeaveRequest.Action.DISCONNECT)).build());
    shutdown();
    if (inRoom) {
      listener.onDisconnected("left");
    }
  }

  /**
   * Runs {@code task} on this participant's event thread. Native callbacks (WebRTC, the signal socket) may
   * still fire after the participant closed; their work is then dropped: an exception thrown back into a
   * native callback thread would abort the whole process.
   */
  private void later(Runnable task) {
    try {
      events.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      // closed meanwhile: nothing left to do with it
    }
  }

  private void shutdown() {
    events.shutdownNow();
    if (signal != null) {
      signal.close();
    }
    if (publisher != null) {
      publisher.close();
    }
    if (subscriber != null) {
      subscriber.close();
    }
  }

  /**
   * Loads WebRTC's native library now, so that a machine or image without the libraries it links to
   * fails at start with their names, not later inside a call where the error would reach no one.
   */
  public static void requireWebRtc() {
    factory();
  }

  /** The Debian packages WebRTC's native library links to (besides libc). */
  static final String WEBRTC_PACKAGES = "libpulse0 libudev1 libx11-6 libxfixes3 libxrandr2 libxcomposite1 libdbus-1-3";

  private static PeerConnectionFactory factory() {
    if (factory == null) {
      synchronized (RoomParticipant.class) {
        if (factory == null) {
          try {
            audioDevice = new HeadlessAudioDeviceModule();
          } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            throw new IllegalStateException("WebRTC's native library cannot be loaded (" + e.getMessage()
                + "); install the libraries it needs: apt-get install " + WEBRTC_PACKAGES, e);
          }
          factory = new PeerConnectionFactory(audioDevice);
          // Remote tracks reach their sinks only while the device plays out (started after the factory
          // has initialised it); nothing records from it: local audio comes from CustomAudioSource
          // alone (both at once crash libwebrtc).
          audioDevice.initPlayout();
          audioDevice.startPlayout();
        }
      }
    }
    return factory;
  }
}
