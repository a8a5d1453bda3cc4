// The agent-picker page: a token from config-service, a LiveKit room (the microphone on once the agent is in), the
// agent's voice played, and the `conversation-summary` data messages shown as transcript and fields.
import { Room, RoomEvent, Track } from 'livekit-client';

const AGENTS = [
  { purpose: 'support', label: 'Customer Support' },
  { purpose: 'sales', label: 'Talk to Sales' },
  { purpose: 'onboarding', label: 'Get Started' },
  { purpose: 'interview', label: 'Practice Interview' },
];
const SUMMARY_TOPIC = 'conversation-summary';
// The agent asked for a human (escalation_needed, or a field its config declares an escalation).
const ESCALATION_TOPIC = 'escalation';
const CONTROL_TOPIC = 'parley-control';
const AGENT_JOIN_TIMEOUT_MS = 30000;

let room = null;
const shownTurns = new Set();
const $ = (id) => document.getElementById(id);

function setState(state, text, isError = false) {
  document.body.dataset.state = state;
  $('status').textContent = text;
  $('status').className = isError ? 'error' : '';
  document.querySelectorAll('#agents button').forEach((b) => { b.disabled = state === 'connecting' || state === 'in-call'; });
  $('hangup').disabled = state !== 'in-call';
}

function addLine(who, text, turnId) {
  if (!text) return;
  const li = document.createElement('li');
  li.className = who;
  li.dataset.turn = turnId;
  const label = document.createElement('span');
  label.className = 'who';
  label.textContent = who === 'caller' ? 'You' : 'Agent';
  li.append(label, document.createTextNode(text));
  $('transcript').append(li);
}

function showFields(data) {
  const table = $('fields');
  table.querySelectorAll('tr.field').forEach((row) => row.remove());
  for (const [name, value] of Object.entries(data || {})) {
    const row = table.insertRow();
    row.className = 'field';
    row.dataset.field = name;
    row.insertCell().textContent = name;
    row.insertCell().textContent = typeof value === 'string' ? value : JSON.stringify(value);
  }
}

function onMessage(message) {
  if (message.type === 'agent_turn' && !shownTurns.has(message.turn_id)) {
    shownTurns.add(message.turn_id);
    addLine('caller', message.user_transcript, message.turn_id);
    addLine('agent', message.system_response, message.turn_id);
    if (message.data && Object.keys(message.data).length > 0) showFields(message.data);
  } else if (message.type === 'escalation') {
    const banner = $('escalation');
    banner.hidden = false;
    banner.textContent = `The agent asked for a colleague to take over (${message.field}): ${message.system_response}`;
  } else if (message.type === 'summary') {
    $('summary').hidden = false;
    $('summary-text').textContent = message.summary;
    if (message.data) showFields(message.data);
  }
}

const isAgent = (participant) => participant.isAgent || participant.identity.startsWith('agent-');

// Resolves when an agent participant is in the room (at once if one already is); rejects after timeoutMs.
function agentJoined(current, timeoutMs) {
  if ([...current.remoteParticipants.values()].some(isAgent)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      current.off(RoomEvent.ParticipantConnected, onJoin);
      reject(new Error(`no agent joined within ${timeoutMs / 1000} s (is ingress-worker running?)`));
    }, timeoutMs);
    function onJoin(participant) {
      if (!isAgent(participant)) return;
      clearTimeout(timer);
      current.off(RoomEvent.ParticipantConnected, onJoin);
      resolve();
    }
    current.on(RoomEvent.ParticipantConnected, onJoin);
  });
}

// Tokens come from config-service; the console that serves this page says where it is (same origin when absent).
let tokenUrlPromise;
function tokenUrl() {
  tokenUrlPromise ??= fetch('/console.json')
    .then((r) => (r.ok ? r.json() : {}))
    .then((c) => c.token_url || '/api/v1/livekit/token')
    .catch(() => '/api/v1/livekit/token');
  return tokenUrlPromise;
}

async function start(agent) {
  setState('connecting', `Connecting to ${agent.label}…`);
  $('transcript').replaceChildren();
  showFields({});
  shownTurns.clear();
  $('summary').hidden = true;
  $('escalation').hidden = true;
  const name = $('name').value.trim() || 'Guest';
  const email = $('email').value.trim();
  const id = `web-${Math.random().toString(36).slice(2, 10)}`;
  try {
    const response = await fetch(await tokenUrl(), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        room_name: `web-${agent.purpose}-${id}`,
        identity: id,
        name,
        metadata: { purpose: agent.purpose, user_id: id, user_details: { name, email } },
      }),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.message || `token request failed (${response.status})`);
    room = new Room({ adaptiveStream: false, dynacast: false });
    room.on(RoomEvent.TrackSubscribed, (track) => {
      if (track.kind === Track.Kind.Audio) {
        const audio = track.attach();
        audio.id = 'agent-audio';
        document.body.append(audio);
      }
    });
    room.on(RoomEvent.DataReceived, (payload, participant, kind, topic) => {
      if (topic !== SUMMARY_TOPIC && topic !== ESCALATION_TOPIC) return;
      try {
        onMessage(JSON.parse(new TextDecoder().decode(payload)));
      } catch (e) {
        console.warn(`unreadable ${topic} message`, e);
      }
    });
    room.on(RoomEvent.Disconnected, () => {
      room = null;
      setState('idle', 'Call ended.');
    });
    await room.connect(body.url, body.token);
    // The microphone goes on once the agent is in the room: words spoken before it joined would reach nobody.
    setState('connecting', `Connected. Waiting for ${agent.label} to join…`);
    await agentJoined(room, AGENT_JOIN_TIMEOUT_MS);
    console.info('agent joined; turning the microphone on');
    await room.localParticipant.setMicrophoneEnabled(true);
    setState('in-call', `In a call with ${agent.label}. Speak when you are ready.`);
  } catch (e) {
    const joined = room;
    room = null;
    if (joined) await joined.disconnect();
    setState('idle', `Could not start the call: ${e.message}`, true);
  }
}

async function hangUp() {
  if (!room) return;
  setState('ending', 'Ending the call: asking the agent for a summary…');
  try {
    const request = new TextEncoder().encode(JSON.stringify({ type: 'end_session' }));
    await room.localParticipant.publishData(request, { reliable: true, topic: CONTROL_TOPIC });
    const deadline = Date.now() + 60000;
    while ($('summary').hidden && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    if (room) await room.disconnect();
  }
}

for (const agent of AGENTS) {
  const button = document.createElement('button');
  button.textContent = agent.label;
  button.dataset.purpose = agent.purpose;
  button.addEventListener('click', () => start(agent));
  $('agents').append(button);
}
$('hangup').addEventListener('click', hangUp);
