package dev.parley.livekit.internal;

import dev.onvoid.webrtc.CreateSessionDescriptionObserver;
import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.PeerConnectionObserver;
import dev.onvoid.webrtc.PortAllocatorConfig;
import dev.onvoid.webrtc.RTCAnswerOptions;
import dev.onvoid.webrtc.RTCConfiguration;
import dev.onvoid.webrtc.RTCDataChannel;
import dev.onvoid.webrtc.RTCIceCandidate;
import dev.onvoid.webrtc.RTCOfferOptions;
import dev.onvoid.webrtc.RTCPeerConnection;
import dev.onvoid.webrtc.RTCPeerConnectionState;
import dev.onvoid.webrtc.RTCSdpType;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.SetSessionDescriptionObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One of a participant's two peer connections (publisher: we offer; subscriber: the server offers),
 * with trickle ICE: remote candidates wait until a remote description exists, and our candidates are
 * rewritten to 127.0.0.1 when {@code loopbackOnly} (libwebrtc skips loopback adapters, so it gathers
 * on the any-address and the server, bound to loopback, is reached through that socket).
 */
public final class PeerTransport {
  private final RTCPeerConnection pc;
  private volatile Consumer<dev.onvoid.webrtc.RTCRtpTransceiver> onTrack = t -> { };
  private final List<RTCIceCandidate> pendingRemote = new ArrayList<>();
  private boolean remoteSet;

  public PeerTransport(PeerConnectionFactory factory, boolean loopbackOnly, Consumer<RTCIceCandidate> onCandidate,
      Consumer<RTCDataChannel> onDataChannel, Consumer<RTCPeerConnectionState> onState) {
    RTCConfiguration config = new RTCConfiguration();
    if (loopbackOnly) {
      config.portAllocatorConfig = new PortAllocatorConfig()
          .setFlag(PortAllocatorConfig.PORTALLOCATOR_DISABLE_ADAPTER_ENUMERATION)
          .setFlag(PortAllocatorConfig.PORTALLOCATOR_DISABLE_TCP);
    }
    this.pc = factory.createPeerConnection(config, new PeerConnectionObserver() {
      @Override
      public void onIceCandidate(RTCIceCandidate candidate) {
        RTCIceCandidate usable = loopbackOnly ? toLoopback(candidate) : candidate;
        if (usable != null) {
          onCandidate.accept(usable);
        }
      }

      @Override
      public void onDataChannel(RTCDataChannel channel) {
        onDataChannel.accept(channel);
      }

      @Override
      public void onTrack(dev.onvoid.webrtc.RTCRtpTransceiver transceiver) {
        onTrack.accept(transceiver);
      }

      @Override
      public void onConnectionChange(RTCPeerConnectionState state) {
        onState.accept(state);
      }
    });
  }

  /** Called for every remote track this connection receives. */
  public void onTrack(Consumer<dev.onvoid.webrtc.RTCRtpTransceiver> handler) {
    this.onTrack = handler;
  }

  public RTCPeerConnection connection() {
    return pc;
  }

  /** Creates an offer and sets it as the local description; completes with its SDP. */
  public CompletableFuture<String> offer() {
    CompletableFuture<String> result = new CompletableFuture<>();
    pc.createOffer(new RTCOfferOptions(), describe(result));
    return result;
  }

  /** Sets the server's offer, answers it and sets the answer locally; completes with the answer's SDP. */
  public CompletableFuture<String> answer(String offerSdp) {
    CompletableFuture<String> result = new CompletableFuture<>();
    pc.setRemoteDescription(new RTCSessionDescription(RTCSdpType.OFFER, offerSdp), new SetSessionDescriptionObserver() {
      @Override
      public void onSuccess() {
        remoteReady();
        pc.createAnswer(new RTCAnswerOptions(), describe(result));
      }

      @Override
      public void onFailure(String error) {
        result.completeExceptionally(new IllegalStateException("setRemoteDescription(offer): " + error));
      }
    });
    return result;
  }

  /** Applies the server's answer to our offer. */
  public CompletableFuture<Void> accept(String answerSdp) {
    CompletableFuture<Void> result = new CompletableFuture<>();
    pc.setRemoteDescription(new RTCSessionDescription(RTCSdpType.ANSWER, answerSdp), new SetSessionDescriptionObserver() {
      @Override
      public void onSuccess() {
        remoteReady();
        result.complete(null);
      }

      @Override
      public void onFailure(String error) {
        result.completeExceptionally(new IllegalStateException("setRemoteDescription(answer): " + error));
      }
    });
    return result;
  }

  public synchronized void addRemoteCandidate(RTCIceCandidate candidate) {
    if (remoteSet) {
      pc.addIceCandidate(candidate);
    } else {
      pendingRemote.add(candidate);
    }
  }

  private synchronized void remoteReady() {
    remoteSet = true;
    pendingRemote.forEach(pc::addIceCandidate);
    pendingRemote.clear();
  }

  private CreateSessionDescriptionObserver describe(CompletableFuture<String> result) {
    return new CreateSessionDescriptionObserver() {
      @Override
      public void onSuccess(RTCSessionDescription description) {
        pc.setLocalDescription(description, new SetSessionDescriptionObserver() {
          @Override
          public void onSuccess() {
            result.complete(description.sdp);
          }

          @Override
          public void onFailure(String error) {
            result.completeExceptionally(new IllegalStateException("setLocalDescription: " + error));
          }
        });
      }

      @Override
      public void onFailure(String error) {
        result.completeExceptionally(new IllegalStateException("create offer/answer: " + error));
      }
    };
  }

  /** The candidate with its address (field 5 of the candidate line) set to 127.0.0.1; IPv6 ones are dropped. */
  static RTCIceCandidate toLoopback(RTCIceCandidate candidate) {
    String[] fields = candidate.sdp.split(" ");
    if (fields.length < 8 || fields[4].contains(":")) {
      return null;
    }
    fields[4] = "127.0.0.1";
    return new RTCIceCandidate(candidate.sdpMid, candidate.sdpMLineIndex, String.join(" ", fields));
  }

  public void close() {
    pc.close();
  }
}
