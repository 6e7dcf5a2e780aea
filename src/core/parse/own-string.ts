// Strings that outlive the text they were read from.
//
// V8 keeps a slice of 13 or more characters as a view into the string it was
// cut from: a parsed field kept for minutes keeps the whole dump or stream
// chunk it came from. Where parsed values live on across refreshes (rules in
// the TUI's rule cache) the text is copied first, so it holds only itself.
// (conntrack's parser needs none: it interns its strings.)

/** A copy of `s` that shares no storage with the string it came from. */
export function ownString(s: string): string {
  // Decoding bytes always makes a new flat string; UTF-16 round-trips any JS
  // string exactly (lone surrogates included). Short slices are copies anyway.
  return s.length < 13 ? s : Buffer.from(s, 'utf16le').toString('utf16le');
}
