// An independent test caller: LiveKit's own Node SDK (Rust core, libwebrtc) joins a room, speaks a
// tone as its microphone, sends a data message, and records what it hears.
// Usage: node caller.mjs <ws url> <token> <tone Hz> <seconds> <recording.pcm>
// Prints one JSON object per line: joined, subscribed, data, done.
import { AudioFrame, AudioSource, AudioStream, LocalAudioTrack, Room, RoomEvent, TrackKind, TrackPublishOptions,
  TrackSource, dispose } from '@livekit/rtc-node';
import { writeFileSync } from 'node:fs';

const [url, token, toneHz, seconds, recording] = process.argv.slice(2);
const say = (event) => console.log(JSON.stringify(event));
const heard = [];
const room = new Room();
room.on(RoomEvent.DataReceived, (payload, participant, kind, topic) =>
  say({ event: 'data', from: participant?.identity ?? '', topic, text: new TextDecoder().decode(payload) }));
room.on(RoomEvent.TrackSubscribed, async (track, publication, participant) => {
  if (track.kind !== TrackKind.KIND_AUDIO) return;
  say({ event: 'subscribed', from: participant.identity, track: publication.sid });
  for await (const frame of new AudioStream(track, 48000, 1)) {
    heard.push(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength));
  }
});

await room.connect(url, token, { autoSubscribe: true, dynacast: false });
say({ event: 'joined', identity: room.localParticipant.identity });
for (let waited = 0; room.remoteParticipants.size === 0 && waited < 20000; waited += 50) {
  await new Promise((resolve) => setTimeout(resolve, 50)); // someone to talk to
}
const source = new AudioSource(48000, 1);
const track = LocalAudioTrack.createAudioTrack('microphone', source);
const options = new TrackPublishOptions();
options.source = TrackSource.SOURCE_MICROPHONE;
await room.localParticipant.publishTrack(track, options);
await room.localParticipant.publishData(new TextEncoder().encode('hello from node'),
  { reliable: true, topic: 'caller-events' });
const frames = Math.round(Number(seconds) * 100);
say({ event: 'tone', at: Date.now() });
for (let i = 0; i < frames; i++) {
  const samples = new Int16Array(480);
  for (let s = 0; s < 480; s++) {
    samples[s] = Math.round(8000 * Math.sin((2 * Math.PI * Number(toneHz) * (i * 480 + s)) / 48000));
  }
  await source.captureFrame(new AudioFrame(samples, 48000, 1, 480));
}
await new Promise((resolve) => setTimeout(resolve, 1500));
const all = Buffer.concat(heard);
writeFileSync(recording, all);
say({ event: 'done', heardBytes: all.length });
await room.disconnect();
await dispose();
process.exit(0);
