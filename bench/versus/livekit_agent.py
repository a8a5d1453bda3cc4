"""The LiveKit Agents side of `./parley bench versus`: a minimal voice agent with the bench agent's
instructions and greeting, Silero VAD, turns ended on VAD silence after the same endpointing delay as
Parley's agent, and OpenAI-compatible speech-to-text, LLM and voice pointed at the bench's stand-in
server (the same providers Parley's agent uses). Started by the bench as `python livekit_agent.py start`
with LIVEKIT_URL / LIVEKIT_API_KEY / LIVEKIT_API_SECRET, and the settings below in its environment."""

import os

from livekit.agents import Agent, AgentServer, AgentSession, JobContext, cli
from livekit.plugins import openai, silero

BASE_URL = os.environ["VERSUS_OPENAI_BASE_URL"]  # the stand-in, e.g. http://127.0.0.1:18090/v1
AGENT_NAME = os.environ["VERSUS_AGENT_NAME"]
INSTRUCTIONS = os.environ["VERSUS_INSTRUCTIONS"]
GREETING = os.environ["VERSUS_GREETING"]
ENDPOINTING_S = float(os.environ.get("VERSUS_ENDPOINTING_MS", "500")) / 1000.0



def prewarm(proc) -> None:
    proc.userdata["vad"] = silero.VAD.load()


# load_threshold: by default a worker stops taking jobs above 70 % CPU; the bench wants every call taken
# (as Parley's ingress does), so that the latency of a loaded machine is measured rather than refused calls.
server = AgentServer(setup_fnc=prewarm, load_threshold=float("inf"),
                     num_idle_processes=int(os.environ.get("VERSUS_IDLE_PROCESSES", "1")))


@server.rtc_session(agent_name=AGENT_NAME)
async def entrypoint(ctx: JobContext) -> None:
    await ctx.connect()
    session = AgentSession(
        vad=ctx.proc.userdata["vad"],
        stt=openai.STT(base_url=BASE_URL, api_key="stand-in", model="whisper-1", use_realtime=False),
        llm=openai.LLM(base_url=BASE_URL, api_key="stand-in", model="stand-in"),
        tts=openai.TTS(base_url=BASE_URL, api_key="stand-in", model="tts-1", voice="alloy",
                       response_format="pcm"),
        turn_handling={
            "turn_detection": "vad",
            "endpointing": {"min_delay": ENDPOINTING_S},
        },
    )
    await session.start(room=ctx.room, agent=Agent(instructions=INSTRUCTIONS))
    session.say(GREETING)


if __name__ == "__main__":
    cli.run_app(server)
