namespace NetDashboard.Api;

/// <summary>
/// A query value that is a whole number written as one: optional '-', then 1 to 9 digits. int's own parsing, which
/// binds an int parameter, also takes surrounding spaces and trailing NULs ("1%00" reads as 1); a value that is not
/// exactly a number is refused, naming its parameter, not cleaned into one.
/// </summary>
public readonly record struct WholeNumber(int Value)
{
    public static bool TryParse(string? text, IFormatProvider? provider, out WholeNumber result)
    {
        var digits = text is ['-', .. var rest] ? rest : text;
        var ok = digits is { Length: >= 1 and <= 9 } && digits.All(char.IsAsciiDigit);
        result = ok ? new WholeNumber(int.Parse(text!, System.Globalization.CultureInfo.InvariantCulture)) : default;
        return ok;
    }
}
