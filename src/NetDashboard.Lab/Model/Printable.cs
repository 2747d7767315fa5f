using System.Text;

namespace NetDashboard.Lab.Model;

/// <summary>
/// Text from outside (a guest's output, a hostile value) made safe to show or print: control characters become
/// visible escapes (\e, \r, \x00, \u009b), so none can move a terminal's cursor, recolour it or hide a line.
/// </summary>
public static class Printable
{
    /// <summary>Escapes every control character; tab and, when <paramref name="keepNewlines"/>, newline stay as they are.</summary>
    public static string Escape(string text, bool keepNewlines = true)
    {
        if (!text.Any(c => char.IsControl(c) && c != '\t' && !(keepNewlines && c == '\n')))
            return text;
        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (!char.IsControl(c) || c == '\t' || (keepNewlines && c == '\n'))
                escaped.Append(c);
            else
                escaped.Append(c switch
                {
                    '\x1b' => "\\e",
                    '\r' => "\\r",
                    '\n' => "\\n",
                    < '\x80' => $"\\x{(int)c:x2}",
                    _ => $"\\u{(int)c:x4}",
                });
        }
        return escaped.ToString();
    }

    /// <summary>A value quoted in a message: escaped, on one line, and cut to <paramref name="max"/> characters.</summary>
    public static string Quote(string value, int max = 64)
    {
        var escaped = Escape(value, keepNewlines: false);
        return escaped.Length <= max ? escaped : $"{escaped[..max]}… ({value.Length} characters)";
    }
}
