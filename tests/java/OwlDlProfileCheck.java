// Checks an ontology file against the OWL 2 DL profile with the OWL API (Debian libowlapi-java)
// and prints one violation per line; exit status 0 when it is in the profile, 1 when not.
// Usage: java OwlDlProfileCheck FILE
import java.io.File;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

public class OwlDlProfileCheck {
    public static void main(String[] args) throws Exception {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(args[0]));
        OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);
        for (OWLProfileViolation violation : report.getViolations()) {
            System.out.println(violation.getClass().getSimpleName() + "\t" + violation.toString().replace('\n', ' '));
        }
        System.err.println(report.getViolations().size() + " violation(s) of the OWL 2 DL profile");
        System.exit(report.isInProfile() ? 0 : 1);
    }
}
