// An independent test caller: LiveKit's own Node SDK (Rust core, libwebrtc) joins a room, plays a WAV
// file (48 kHz mono 16-bit) as its microphone, sends a data message, and records what it hears.
// Usage: node caller.mjs <ws url> <token> <microphone.wav> <seconds to listen after> <recording.pcm>
// Prints one JSON object per line: joined, subscribed, data, done.
import { AudioFrame, AudioSource, AudioStream, LocalAudioTrack, Room, RoomEvent, TrackKind, TrackPublishOptions,
  TrackSource, dispose } from '@livekit/rtc-node';
import { readFileSync, writeFileSync } from 'node:fs';

const [url, token, wavFile, seconds, recording] = process.argv.slice(2);

/** The PCM samples of a 48 kHz mono 16-bit WAV file. */
function readWav(file) {
  const wav = readFileSync(file);
  let offset = 12;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    if (id === 'fmt ' && (wav.readUInt16LE(offset + 10) !== 1 || wav.readUInt32LE(offset + 12) !== 48000)) {
      throw new Error(`${file}: expected mono 48 kHz`);
    }
    if (id === 'data') {
      return new Int16Array(wav.buffer.slice(wav.byteOffset + offset + 8, wav.byteOffset + offset + 8 + size));
    }
    offset += 8 + size;
  }
  throw new Error(`${file}: no data chunk`);
}
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
await new Promise((resolve) => setTimeout(resolve, 1500)); // let the other side subscribe before we speak
const speech = readWav(wavFile);
say({ event: 'speaking', at: Date.now(), samples: speech.length });
for (let i = 0; i + 480 <= speech.length; i += 480) {
  await source.captureFrame(new AudioFrame(speech.slice(i, i + 480), 48000, 1, 480));
}
await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
const all = Buffer.concat(heard);
writeFileSync(recording, all);
say({ event: 'done', heardBytes: all.length });
await room.disconnect();
await dispose();
process.exit(0);
