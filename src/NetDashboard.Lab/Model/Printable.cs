using System.Text;

namespace NetDashboard.Lab.Model;

/// <summary>
/// Text from outside (a guest's output, a hostile value) made safe to show or print: control characters become
/// visible \xHH escapes ("\x1b[31m" for ESC [31m, "\x0d" for a carriage return): a terminal would obey them (recolour,
/// move the cursor, retitle the window, hide a line) and a page shows nothing for them at all.
/// </summary>
public static class Printable
{
    /// <summary>Escapes every control character; tab and, when <paramref name="keepNewlines"/>, newline stay as they are.</summary>
    public static string Escape(string text, bool keepNewlines = true)
    {
        bool Escaped(char c) => char.IsControl(c) && c != '\t' && !(keepNewlines && c == '\n');
        if (!text.Any(Escaped))
            return text;
        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (!Escaped(c))
                escaped.Append(c);
            else
                escaped.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return escaped.ToString();
    }

    /// <summary>A value quoted in a message: escaped, on one line, and cut to <paramref name="max"/> characters.</summary>
    public static string Quote(string value, int max = 64)
    {
        var escaped = Escape(value, keepNewlines: false);
        return escaped.Length <= max ? escaped : $"{escaped[..max]}… ({value.Length} characters)";
    }

    /// <summary>A word as bash reads it back: quoted when it needs to be.</summary>
    public static string ShellQuote(string word)
    {
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,+@%".Contains(c)))
            return word;
        var quoted = new System.Text.StringBuilder("'");
        quoted.Append(word.Replace("'", "'\\''"));
        return quoted.Append('\'').ToString();
    }
}
