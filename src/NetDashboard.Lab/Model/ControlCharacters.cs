using System.Globalization;
using System.Text;

namespace NetDashboard.Lab.Model;

/// <summary>
/// Text from a guest or a tool, made safe to show: a terminal would obey an ESC sequence in a journal line (recolour,
/// move the cursor, retitle the window), and a page shows nothing for it at all.
/// </summary>
public static class ControlCharacters
{
    /// <summary>
    /// Each control character except tab and newline as a visible <c>\xHH</c> ("\x1b[31m" for ESC [31m, "\x0d" for a
    /// carriage return); other text, tabs and newlines as they are.
    /// </summary>
    public static string Escape(string text)
    {
        if (!text.Any(IsEscaped)) return text;
        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (IsEscaped(c))
                escaped.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else
                escaped.Append(c);
        }
        return escaped.ToString();
    }

    private static bool IsEscaped(char c) => char.IsControl(c) && c is not ('\t' or '\n');
}
