using System.Text;

namespace NetDashboard.Lab.Model;

/// <summary>
/// The words of an iptables rule as `iptables -S` prints them and iptables-restore reads them back: spaces separate
/// words, double quotes keep a word with spaces whole, and inside quotes a backslash takes the next character as it is.
/// </summary>
public static class IptablesWords
{
    /// <summary>The rule's words, or null when a double quote is never closed.</summary>
    public static IReadOnlyList<string>? Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var (quoted, escaped, any) = (false, false, false);
        foreach (var c in line)
        {
            if (escaped) { word.Append(c); escaped = false; }
            else if (quoted && c == '\\') escaped = true;
            else if (c == '"') { quoted = !quoted; any = true; }
            else if (c is ' ' or '\t' && !quoted)
            {
                if (any) words.Add(word.ToString());
                word.Clear();
                any = false;
            }
            else { word.Append(c); any = true; }
        }
        if (quoted) return null;
        if (any) words.Add(word.ToString());
        return words;
    }

    /// <summary>
    /// A word as a person types it after `iptables`: as it is when plain, else in double quotes with what a shell
    /// (and iptables-restore) would read inside them escaped.
    /// </summary>
    public static string Quote(string word)
    {
        if (word == "!" || (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,+@%".Contains(c))))
            return word;
        var quoted = new StringBuilder("\"");
        foreach (var c in word)
            quoted.Append(c is '"' or '\\' or '$' or '`' ? "\\" : "").Append(c);
        return quoted.Append('"').ToString();
    }
}
