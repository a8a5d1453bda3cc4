package dev.parley.speech;

import com.sun.jna.NativeLibrary;

/** Loads a shared library globally so that libraries linked against it resolve its symbols. */
final class NativeLibraries {
  private NativeLibraries() {}

  static void preload(String name) {
    NativeLibrary.getInstance(name, java.util.Map.of(com.sun.jna.Library.OPTION_OPEN_FLAGS, 0x102));
  }
}
